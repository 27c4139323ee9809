// One Stream protocol connection's state machine (PROTOCOL.adoc): bytes → StreamFrameDecoder → one handler per
// command (handlers/*.ts). The handshake comes first and in order (PeerProperties, SaslHandshake,
// SaslAuthenticate, Tune, Open); then any command. Publish is read in place (handlers/publish.ts), everything
// else through the codec's table. The catch boundary answers a failed request with RabbitMQ's response code
// (errors.ts); a malformed frame closes the connection (Close with the codec's code, as rabbit_stream_reader).
// Frames are views of the socket's chunk: a frame held while an auth backend answers (HTTP) is copied.
import type { Duplex } from 'node:stream';
import { AuthzPending } from '../../core/auth/authz.js';
import { Command, ResponseCode } from '../../codec/stream/constants.js';
import { decodeFrame, type StreamFrame } from '../../codec/stream/commands.js';
import { StreamFrameDecoder, FRAME_TOO_LARGE_REASON } from '../../codec/stream/frame-decoder.js';
import { StreamCodecError } from '../../codec/stream/wire.js';
import { AuthHold } from '../net/auth-hold.js';
import { READ_BYTE_SHIFT, READ_COST_FRAME } from '../net/read-budget.js';
import type { StreamServerContext } from './context.js';
import { responseCodeOf } from './errors.js';
import { dispatchFrame, errorResponse } from './handlers/index.js';
import { handlePublish } from './handlers/publish.js';
import { StreamSession } from './session.js';

/** Budget units per published message (an AMQP publish is three frames, 72 units, and costs ~5x more). */
const COST_MESSAGE = 14;

export class StreamProtocolConnection extends StreamSession {
  private readonly decoder: StreamFrameDecoder;
  private readonly hold: AuthHold<Buffer>;

  constructor(server: StreamServerContext, socket: Duplex, remoteAddress: string, transport: string) {
    super(server, socket, remoteAddress, transport);
    this.decoder = new StreamFrameDecoder({ onFrame: (b, s, e) => this.onFrame(b, s, e) });
    this.hold = new AuthHold<Buffer>(
      (f) => this.onFrame(f, 0, f.length),
      (on) => this.gate.authWait(!on),
    );
    // as AMQP's handshake_timeout: a socket that never opens does not stay
    this.handshakeDeadline(server.options.handshakeTimeout, () => {
      if (this.phase !== 'open' && !this.closed) this.closeNow();
    });
  }

  /** Frames handled since the last chunk's cost was counted (readCost). */
  private readFrames = 0;

  /**
   * A Stream publish costs little per byte (its messages are copied into the chunk being built, as they
   * are): the read budget counts bytes as AMQP bodies (READ_BYTE_SHIFT), plus each frame and each message.
   * About 4,000 small messages or 1.5 MiB of 1 KiB ones per turn, instead of one 64 KiB read: the chunk a
   * turn's publishes become (stream-log.ts) is that much bigger, and a consumer gets more per credit.
   */
  protected override readCost(bytes: number): number {
    const c = (bytes >>> READ_BYTE_SHIFT) + this.readFrames * READ_COST_FRAME + this.readMessages * COST_MESSAGE;
    this.readFrames = 0;
    this.readMessages = 0;
    return c;
  }

  protected onChunk(chunk: Buffer): void {
    try {
      this.decoder.push(chunk);
    } catch (e) {
      this.onCodecError(e);
    }
  }

  /** Tune: frames over the negotiated frame max close the connection (FrameTooLarge). */
  setFrameMax(n: number): void {
    this.frameMax = n;
    this.decoder.maxFrameSize = n;
  }

  private onFrame(buf: Buffer, start: number, end: number): void {
    if (this.closed) return;
    this.readFrames++;
    if (this.hold.holding) {
      this.hold.queue(Buffer.from(buf.subarray(start, end)));
      return;
    }
    if (end - start < 4) {
      // a size prefix of 0-3: no room for the key and version (found by the fuzzer: read out of bounds)
      this.onCodecError(new StreamCodecError('stream frame shorter than its key and version'));
      return;
    }
    const key = buf.readUInt16BE(start);
    // hot path: Publish is read in place
    if (key === Command.Publish && this.phase === 'open') {
      try {
        handlePublish(this, buf, start, end);
      } catch (e) {
        if (e instanceof AuthzPending) this.hold.wait(e, Buffer.from(buf.subarray(start, end)));
        else this.onCodecError(e);
      }
      return;
    }
    if (key === Command.Heartbeat) {
      // before Tune a heartbeat is out of order: rabbit_stream_reader closes the socket (handshake below)
      if (this.phase === 'peer-properties' || this.phase === 'sasl') this.handshakeRefused('Heartbeat');
      return;
    }
    let f: StreamFrame;
    try {
      f = decodeFrame(buf, start, end);
    } catch (e) {
      this.onCodecError(e);
      return;
    }
    try {
      dispatchFrame(this, f);
    } catch (e) {
      if (e instanceof AuthzPending) this.hold.wait(e, Buffer.from(buf.subarray(start, end)));
      else this.onError(e, f);
    }
  }

  // ---- the catch boundary ----------------------------------------------------------------------

  /**
   * Before Open, a frame out of order or not understood closes the socket without an answer, as
   * rabbit_stream_reader's handle_frame_pre_auth does ("unknown command, closing connection"; checked on the
   * anchor, bench/fuzz/compare-stream.ts). The refused steps of the handshake itself (a SASL mechanism, bad
   * credentials, a vhost) are still answered with their codes.
   */
  private handshakeRefused(what: string): void {
    this.server.log.debug({ phase: this.phase, what }, 'stream handshake: unexpected frame, closing');
    this.closeNow();
  }

  private onCodecError(e: unknown): void {
    if (e instanceof StreamCodecError && this.phase !== 'open') {
      this.handshakeRefused(e.message);
      return;
    }
    if (e instanceof StreamCodecError) {
      this.server.log.debug({ err: e.message }, 'stream frame refused');
      this.closeWith(e.code, e.code === ResponseCode.FrameTooLarge ? FRAME_TOO_LARGE_REASON : e.message);
      return;
    }
    this.server.log.error({ err: e }, 'stream connection error');
    this.closeWith(ResponseCode.InternalError, 'internal error');
  }

  private onError(e: unknown, f: StreamFrame): void {
    const code = responseCodeOf(e);
    if (code === ResponseCode.UnknownFrame && this.phase !== 'open') {
      this.handshakeRefused(f.name);
      return;
    }
    if (code === null) this.server.log.error({ err: e, command: f.name }, 'stream command failed');
    else this.server.log.debug({ err: (e as Error).message, command: f.name, code }, 'stream command refused');
    if (!errorResponse(this, f, code ?? ResponseCode.InternalError) || this.phase !== 'open') {
      // a failed handshake step or a command without a response: the connection ends
      if (this.phase !== 'open') this.closeNow();
    }
  }

  protected onDrain(): void {
    for (const s of this.subscriptions.values()) {
      if (s.starved) {
        s.starved = false;
        s.pump();
      }
    }
  }

  /** rabbit_heartbeat: a client silent for twice the heartbeat is gone. */
  protected override onHeartbeatMissed(): void {
    this.server.log.debug({ user: this.user }, 'stream heartbeat missed');
    this.closeNow();
  }

  tick(_now: number): void {}
}
