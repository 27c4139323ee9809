// The command table: one switch on the decoded frame's name → its handler (Publish and Heartbeat are
// handled before decoding, in connection.ts). Until Open only the handshake's commands are taken, in order.
// errorResponse answers a failed request with its response frame and a code (the catch boundary's reply).
import type { StreamFrame } from '../../../codec/stream/commands.js';
import { COMMAND_VERSIONS, ResponseCode } from '../../../codec/stream/constants.js';
import { StreamError } from '../errors.js';
import type { StreamSession } from '../session.js';
import {
  handleOpen,
  handlePeerProperties,
  handleSaslAuthenticate,
  handleSaslHandshake,
  handleTune,
} from './handshake.js';
import { handleQueryOffset, handleStoreOffset } from './offsets.js';
import { handleDeclarePublisher, handleDeletePublisher, handleQueryPublisherSequence } from './publishers.js';
import { handleCreate, handleDelete, handleMetadata, handleStreamStats } from './streams.js';
import { handleConsumerUpdateResponse, handleCredit, handleSubscribe, handleUnsubscribe } from './subscribe.js';
import { handleCreateSuperStream, handleDeleteSuperStream, handlePartitions, handleRoute } from './super-streams.js';

const unexpected = (f: StreamFrame): StreamError => new StreamError(ResponseCode.UnknownFrame, `unexpected ${f.name}`);

function handshake(s: StreamSession, f: StreamFrame): void {
  switch (f.name) {
    case 'PeerPropertiesRequest':
      if (s.phase !== 'peer-properties') throw unexpected(f);
      return handlePeerProperties(s, f);
    case 'SaslHandshakeRequest':
      if (s.phase !== 'sasl') throw unexpected(f);
      return handleSaslHandshake(s, f);
    case 'SaslAuthenticateRequest':
      if (s.phase !== 'sasl') throw unexpected(f);
      return handleSaslAuthenticate(s, f);
    case 'TuneResponse':
    case 'TuneRequest':
      // clients answer with either key (rabbit_stream_core parses both as tune)
      return handleTune(s, f);
    case 'OpenRequest':
      return handleOpen(s, f);
    case 'CloseRequest':
      return handleClose(s, f.correlationId);
    default:
      throw unexpected(f);
  }
}

export function dispatchFrame(s: StreamSession, f: StreamFrame): void {
  if (s.phase !== 'open') return handshake(s, f);
  switch (f.name) {
    case 'DeclarePublisherRequest':
      return handleDeclarePublisher(s, f);
    case 'DeletePublisherRequest':
      return handleDeletePublisher(s, f);
    case 'QueryPublisherSequenceRequest':
      return handleQueryPublisherSequence(s, f);
    case 'SubscribeRequest':
      return handleSubscribe(s, f);
    case 'UnsubscribeRequest':
      return handleUnsubscribe(s, f);
    case 'Credit':
      return handleCredit(s, f);
    case 'ConsumerUpdateResponse':
      return handleConsumerUpdateResponse(s, f);
    case 'StoreOffset':
      return handleStoreOffset(s, f);
    case 'QueryOffsetRequest':
      return handleQueryOffset(s, f);
    case 'CreateRequest':
      return handleCreate(s, f);
    case 'DeleteRequest':
      return handleDelete(s, f);
    case 'MetadataRequest':
      return handleMetadata(s, f);
    case 'StreamStatsRequest':
      return handleStreamStats(s, f);
    case 'RouteRequest':
      return handleRoute(s, f);
    case 'PartitionsRequest':
      return handlePartitions(s, f);
    case 'CreateSuperStreamRequest':
      return handleCreateSuperStream(s, f);
    case 'DeleteSuperStreamRequest':
      return handleDeleteSuperStream(s, f);
    case 'ExchangeCommandVersionsRequest': {
      const d = f.commands.find((c) => c.key === 0x0008);
      s.deliverV2 = d !== undefined && d.maxVersion >= 2;
      return s.send('ExchangeCommandVersionsResponse', {
        correlationId: f.correlationId,
        responseCode: ResponseCode.OK,
        commands: [...COMMAND_VERSIONS],
      });
    }
    case 'SaslHandshakeRequest':
      return handleSaslHandshake(s, f);
    case 'SaslAuthenticateRequest':
      return handleSaslAuthenticate(s, f);
    case 'CloseRequest':
      return handleClose(s, f.correlationId);
    case 'CloseResponse':
      // the answer to a Close the server sent: the socket is already closing
      return s.closeNow();
    case 'PeerPropertiesRequest':
    case 'OpenRequest':
    case 'TuneResponse':
    case 'TuneRequest':
      throw unexpected(f);
    default:
      // a response or server-only frame from the client
      throw unexpected(f);
  }
}

/** The client closes (PROTOCOL.adoc "Close"): answered OK, then the socket closes. */
function handleClose(s: StreamSession, correlationId: number): void {
  s.send('CloseResponse', { correlationId, responseCode: ResponseCode.OK });
  s.open = false;
  s.closeNow();
}

/**
 * Answer a failed request `f` with `code` in its response frame. False when `f` has no response (the caller
 * closes the connection for an unexpected frame).
 */
export function errorResponse(s: StreamSession, f: StreamFrame, code: number): boolean {
  if (!('correlationId' in f) || f.name.endsWith('Response')) {
    if (code === ResponseCode.UnknownFrame) s.closeWith(code, 'unknown frame');
    return false;
  }
  const base = { correlationId: f.correlationId, responseCode: code };
  switch (f.name) {
    case 'PeerPropertiesRequest':
      s.send('PeerPropertiesResponse', { ...base, properties: {} });
      return true;
    case 'SaslHandshakeRequest':
      s.send('SaslHandshakeResponse', { ...base, mechanisms: [] });
      return true;
    case 'SaslAuthenticateRequest':
      s.send('SaslAuthenticateResponse', { ...base, saslOpaqueData: undefined });
      return true;
    case 'OpenRequest':
      s.send('OpenResponse', { ...base, connectionProperties: undefined });
      return true;
    case 'QueryPublisherSequenceRequest':
      s.send('QueryPublisherSequenceResponse', { ...base, sequence: 0 });
      return true;
    case 'QueryOffsetRequest':
      s.send('QueryOffsetResponse', { ...base, offset: 0 });
      return true;
    case 'RouteRequest':
      s.send('RouteResponse', { ...base, streams: [] });
      return true;
    case 'PartitionsRequest':
      s.send('PartitionsResponse', { ...base, streams: [] });
      return true;
    case 'StreamStatsRequest':
      s.send('StreamStatsResponse', { ...base, stats: {} });
      return true;
    case 'ExchangeCommandVersionsRequest':
      s.send('ExchangeCommandVersionsResponse', { ...base, commands: [] });
      return true;
    case 'DeclarePublisherRequest':
      s.send('DeclarePublisherResponse', base);
      return true;
    case 'DeletePublisherRequest':
      s.send('DeletePublisherResponse', base);
      return true;
    case 'SubscribeRequest':
      s.send('SubscribeResponse', base);
      return true;
    case 'UnsubscribeRequest':
      s.send('UnsubscribeResponse', base);
      return true;
    case 'CreateRequest':
      s.send('CreateResponse', base);
      return true;
    case 'DeleteRequest':
      s.send('DeleteResponse', base);
      return true;
    case 'CreateSuperStreamRequest':
      s.send('CreateSuperStreamResponse', base);
      return true;
    case 'DeleteSuperStreamRequest':
      s.send('DeleteSuperStreamResponse', base);
      return true;
    case 'CloseRequest':
      s.send('CloseResponse', base);
      return true;
    default:
      return false;
  }
}
