// Errors for bad input, without a stack trace. A protocol error (a malformed frame, a refused method, a
// queue that does not exist) is an answer to the client, never logged with its stack; capturing one
// (Error.captureStackTrace walks and formats the JS stack) was 2-4% of the broker's time under connection
// churn (fuzzing: every case ends in one or two of these). Internal errors stay ordinary Errors.

export class StacklessError extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}
