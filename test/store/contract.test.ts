import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeStoreContract } from './contract.js';
import { ingest } from './helpers.js';

// Recorder clips arrive over the dock: streamed into a temp writer in READ-sized chunks.
describeStoreContract('recorder clip over the dock', { kind: 'recorder', id: 'REC-001' }, (t, bytes, facts) =>
  ingest(t.store, bytes, facts),
);

// Hearing-room segments are files ffmpeg closed: copied in through the same custody.
describeStoreContract(
  'camera segment file',
  { kind: 'camera', id: 'cam-hearing-1' },
  async (t, bytes, facts) => {
    const path = join(t.dir, `${facts.clipId}.mp4`);
    await writeFile(path, bytes);
    return t.store.ingestFile(path, facts);
  },
);
