// What a Stream protocol connection shows of its publishers and consumers (management's /api/stream/publishers
// and /api/stream/consumers): plain views, so management reads them without importing the front end.

export interface StreamPublisherView {
  publisherId: number;
  reference: string | null;
  stream: string;
  published: number;
  confirmed: number;
  errored: number;
}

export interface StreamConsumerView {
  subscriptionId: number;
  stream: string;
  credits: number;
  consumed: number;
  offset: number;
  offsetLag: number;
  properties: Record<string, string>;
  active: boolean;
  singleActive: boolean;
}
