// Route, Partitions, CreateSuperStream and DeleteSuperStream: TEMPORARY until core/super-stream.ts lands.
import type { FrameFields } from '../../../codec/stream/commands.js';
import { ResponseCode } from '../../../codec/stream/constants.js';
import { StreamError } from '../errors.js';
import type { StreamSession } from '../session.js';

const pending = (): StreamError => new StreamError(ResponseCode.InternalError, 'super streams not yet');

export function handleRoute(_s: StreamSession, _f: FrameFields<'RouteRequest'>): void {
  throw pending();
}
export function handlePartitions(_s: StreamSession, _f: FrameFields<'PartitionsRequest'>): void {
  throw pending();
}
export function handleCreateSuperStream(_s: StreamSession, _f: FrameFields<'CreateSuperStreamRequest'>): void {
  throw pending();
}
export function handleDeleteSuperStream(_s: StreamSession, _f: FrameFields<'DeleteSuperStreamRequest'>): void {
  throw pending();
}
