/** Applies one timeline action to one simulated recorder. */

import type { SimHardware } from '../recorder/hardware.js';
import type { MqttLink } from '../recorder/mqtt-link.js';
import type { Recorder } from '../recorder/recorder.js';
import type { ScenarioAction } from './schema.js';

/** A simulated recorder with its hardware and (when a broker is given) its field link. */
export interface SimRecorder {
  readonly serial: string;
  readonly recorder: Recorder;
  readonly hardware: SimHardware;
  readonly link: MqttLink | null;
}

export function applyAction(sim: SimRecorder, a: ScenarioAction): void {
  const r = sim.recorder;
  switch (a.action) {
    case 'power-on':
      r.powerOn();
      break;
    case 'power-off':
      r.powerOff();
      break;
    case 'start-session':
      r.startSession({ activity: a.activity, caseNo: a.caseNo });
      break;
    case 'marker':
      r.marker(a.marker, a.note);
      break;
    case 'stop':
      r.stopRecording(a.cause);
      break;
    case 'resume':
      r.resume({ statement: a.statement, note: a.note });
      break;
    case 'end-session':
      r.endSession();
      break;
    case 'battery-exhaustion':
      sim.hardware.drainBattery(a.within, r.state === 'off' ? 'idle' : r.state);
      r.poll();
      break;
    case 'storage-full':
      sim.hardware.fillStorage(a.within);
      r.poll();
      break;
    case 'device-fault':
      r.raiseFault(a.code, a.message);
      break;
    case 'clear-fault':
      r.clearFault();
      break;
    case 'network-loss':
      sim.link?.cutFor(a.duration);
      break;
    case 'clock-drift':
      if (a.driftPpm !== undefined) sim.hardware.deviceClock.setDrift(a.driftPpm);
      if (a.jumpMs !== undefined) sim.hardware.deviceClock.jump(a.jumpMs);
      break;
    case 'dock':
      r.dock();
      break;
    case 'undock':
      r.undock();
      break;
    case 'pair':
      r.pair(a.officer);
      break;
  }
}

/** Whether an action is meant for `serial`. */
export function targets(a: ScenarioAction, serial: string): boolean {
  const t = a.recorder;
  if (t === undefined || t === '*') return true;
  return Array.isArray(t) ? t.includes(serial) : t === serial;
}
