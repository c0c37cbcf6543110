export { ClipMarker } from '../../protocol/common.js';
export { BatteryModel, type BatteryReading } from './battery.js';
export { ClipRecord } from './clip-record.js';
export { type ClipContent, type ClipSource, type ClipSpec, SyntheticClipSource } from './clip-source.js';
export { applyCommand, handleCommandPayload } from './commands.js';
export { DeviceClock } from './device-clock.js';
export { DeviceSimError, type DeviceSimErrorCode } from './errors.js';
export { DEFAULT_FFMPEG_CLIP, FfmpegClipSource, ffmpegClipArgs } from './ffmpeg-clip-source.js';
export { type Position, type RecorderHardware, SimHardware } from './hardware.js';
export {
  type LinkStats,
  type MqttFaults,
  MqttLink,
  type MqttLinkOptions,
  type PasswordProvider,
} from './mqtt-link.js';
export { type EventBody, EventOutbox, type OutboxStats } from './outbox.js';
export {
  BatteryParams,
  BITRATE_1080P_BPS,
  ClockParams,
  RecorderProfile,
  type RecorderProfileInput,
  StorageParams,
} from './profile.js';
export { Recorder, type RecorderEvents, type RecorderOptions, type SessionInfo } from './recorder.js';
export { type Rng, SeededRng } from './rng.js';
export { StorageModel, type StorageReading } from './storage.js';
