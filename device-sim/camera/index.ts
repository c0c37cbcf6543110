/** Simulated ONVIF camera: the public surface for tests, benchmarks and the CLI. */
export { BAD_SOAP_KINDS, type BadSoapKind, HUGE_SOAP_BYTES } from './bad-soap.js';
export { CameraSimError, type CameraSimErrorCode } from './errors.js';
export { type CameraFleet, type CameraFleetOptions, startCameras } from './fleet.js';
export { encoderArgs, H264Source, type H264SourceOptions } from './h264-source.js';
export { digestAuthorization } from './http-auth.js';
export { SERVICE_PATHS } from './onvif-http.js';
export { type ProbeMatch, type ProbeOptions, probe } from './probe.js';
export {
  CameraFaults,
  type FaultName,
  SimCamera,
  type SimCameraDeps,
  SimCameraOptions,
  type SimCameraOptionsInput,
} from './sim-camera.js';
export { usernameTokenHeader } from './wsse.js';
