export { applyAction, type SimRecorder, targets } from './actions.js';
export { defaultFleetScenario } from './default-fleet.js';
export { Duration, formatDuration, parseDuration } from './duration.js';
export {
  type ActionFailure,
  type ClipChoice,
  type Credentials,
  type FleetHandle,
  type FleetOptions,
  type FleetRecorderSpec,
  startFleet,
} from './fleet.js';
export { randomShift } from './random-shifts.js';
export {
  Fleet,
  FleetRecorder,
  fleetSerials,
  loadScenario,
  parseScenario,
  RandomShifts,
  Scenario,
  ScenarioAction,
  ScenarioError,
  type ScenarioInput,
  scenarioLength,
} from './schema.js';
