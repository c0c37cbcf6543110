/**
 * What the recorder keeps about each clip it made: the protocol's ClipMeta plus what the dock side
 * hands over with it (officer, activity, markers made during the segment).
 */
import { z } from 'zod';
import { Activity, ClipMarker, ClipMeta, Officer } from '../../protocol/common.js';

export const ClipRecord = ClipMeta.extend({
  officer: Officer.optional(),
  activity: Activity.optional(),
  caseNo: z.string().max(64).optional(),
  markers: z.array(ClipMarker),
  mediaType: z.string(),
});
export type ClipRecord = z.infer<typeof ClipRecord>;
