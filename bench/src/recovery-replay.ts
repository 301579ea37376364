// Crash recovery replay rate: generates redo (single-block changes of ~200 bytes to 2,000
// blocks, the shape of OLTP row changes), abandons the instance without a checkpoint as a
// crash would, then times OPEN's roll-forward and reports MB of redo per second.
//
//   npm run build && node bench/dist/recovery-replay.js [MB of redo, default 150]
import { BlockType, type BlockAddress } from '@tandem/db';
import { createAndOpen, printTable, round, scratch } from './harness.js';

const redoMegabytes = Number(process.argv[2] ?? 150);

async function main(): Promise<void> {
  const where = await scratch('recovery');
  try {
    const groupBytes = 64 * 1024 * 1024;
    const groups = Math.ceil((redoMegabytes * 1024 * 1024) / groupBytes) + 2;
    // No background checkpoints (interval 0): all the redo generated is replayed.
    const { storage, reopen, alert } = await createAndOpen(
      where,
      { logGroups: groups, logMembers: 1, logSizeBytes: groupBytes },
      32768,
      0,
    );
    const space = storage.space.inFile(4);
    const blocks: BlockAddress[] = [];
    for (let i = 0; i < 2000; i++) {
      const { result } = await storage.mtr((mtr) => {
        const address = space.allocate(mtr, 2000);
        mtr.format(address, { type: BlockType.SegmentHeader, objectNumber: 2000, pageLevel: -1 });
        return address;
      });
      blocks.push(result);
    }
    const payload = new Uint8Array(200);
    const target = redoMegabytes * 1024 * 1024;
    const generatedFrom = storage.redo.statistics.bytesWritten;
    let i = 0;
    while (storage.redo.statistics.bytesWritten - generatedFrom < target) {
      for (let batch = 0; batch < 1000; batch++, i++) {
        payload.fill(i & 0xff);
        const address = blocks[(i * 7919) % blocks.length];
        await storage.mtr((mtr) => mtr.writeBytes(address, 64 + (i % 3000), payload));
      }
      await storage.redo.flush();
    }
    // Crash: stop without a checkpoint or a clean shutdown.
    await storage.abort();
    const started = performance.now();
    const recovered = await reopen();
    const elapsedMs = performance.now() - started;
    const { redoBytes, records, changesApplied } = recovered.recovery;
    // OPEN also takes checkpoints and a log switch after recovery; the alert log times the roll-forward alone.
    const rolled = /rolled forward .* in (\d+) ms/.exec(alert.lines.join(''));
    const rollForwardMs = rolled === null ? elapsedMs : Number(rolled[1]);
    printTable('Crash recovery replay', [
      {
        'redo MB': round(redoBytes / 1024 / 1024, 1),
        records,
        'changes applied': changesApplied,
        'roll-forward s': round(rollForwardMs / 1000, 2),
        'roll-forward MB/s': round(redoBytes / 1024 / 1024 / (rollForwardMs / 1000), 1),
        'whole OPEN s': round(elapsedMs / 1000, 2),
        goal: '>= 100 MB/s',
      },
    ]);
    await recovered.close();
  } finally {
    await where.remove();
  }
}

await main();
