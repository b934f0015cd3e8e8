/**
 * `npm run bench:encode`: image-tower throughput of the active model (default the
 * shipped geoscout-mini) in ONNX Runtime at batch 1/8/32 with 1 and 2 threads, its
 * ratio to the model's FLOP bound on this CPU (fp32 GEMM rate measured in the same run
 * ÷ FLOPs per image), and the same model and input run by plain PyTorch, side by side.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelRegistry } from '../registry.js';
import { preprocessInto } from '../preprocess.js';
import { REPO_ROOT, synthChips, trainingPython } from '../testing.js';

const COUNT = 64;
const BATCHES = [1, 8, 32];
const THREADS = [1, 2];

async function main() {
  const reg = new ModelRegistry(process.env.GEOSCOUT_DATA_DIR ?? path.join(REPO_ROOT, '.geoscout'));
  const { dir, manifest } = await reg.resolve(process.env.BENCH_MODEL);
  const S = manifest.image.input_size;
  const chips = synthChips(30001, () => true, COUNT, S);
  const pixels = new Float32Array(COUNT * 3 * S * S);
  for (const [i, c] of chips.entries()) await preprocessInto(c.chip, manifest.image, pixels, i * 3 * S * S);
  const flops = imageTowerFlops(manifest.lineage as Lineage | undefined, manifest.embed_dim);

  const ortRate: Record<string, number> = {};
  for (const threads of THREADS) {
    for (const batch of BATCHES) {
      const enc = await reg.openEncoder(process.env.BENCH_MODEL, { threads, batchSize: batch });
      ortRate[`${batch}x${threads}`] = await rate(() => enc.encodePreprocessed(pixels, COUNT));
      await enc.close();
    }
  }
  const enc = await reg.openEncoder(process.env.BENCH_MODEL, { threads: 2, batchSize: 32 });
  const e2e = await rate(() => enc.encodeImages(chips.map((c) => c.chip)));
  await enc.close();

  // PyTorch, once per thread count: OpenBLAS reads its thread count from the environment at start.
  const py = trainingPython();
  const torch: TorchResult | null = py ? { torch: '', images_per_s: {}, gemm_gflops: {} } : null;
  const matmul = path.join(os.tmpdir(), `geoscout-bench-${process.pid}-matmul.onnx`);
  if (py && torch) {
    const f32 = path.join(os.tmpdir(), `geoscout-bench-${process.pid}.f32`);
    writeFileSync(f32, Buffer.from(pixels.buffer));
    for (const th of THREADS) {
      const out = execFileSync(py, [path.join(REPO_ROOT, 'pipeline/models/bench/bench_torch.py'), '--weights', path.join(dir, 'weights.pt'), '--pixels', f32,
        '--count', String(COUNT), '--size', String(S), '--threads', String(th), ...(th === THREADS[0] ? ['--write-matmul', matmul] : [])], {
        cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: String(th), OMP_NUM_THREADS: String(th), OMP_WAIT_POLICY: 'ACTIVE' },
      });
      const r = JSON.parse(out) as TorchResult;
      torch.torch = r.torch;
      Object.assign(torch.images_per_s, r.images_per_s);
      Object.assign(torch.gemm_gflops, r.gemm_gflops);
    }
  }
  // ONNX Runtime's own GEMM rate (MLAS) per thread count: the FLOP bound uses the faster of the two.
  const ortGemm: Record<number, number> = {};
  if (torch) {
    for (const th of THREADS) {
      const s = await ort.InferenceSession.create(matmul, { intraOpNumThreads: th, interOpNumThreads: 1 });
      const a = new ort.Tensor('float32', new Float32Array(1024 * 1024).fill(0.5), [1024, 1024]);
      ortGemm[th] = ((await rate(() => s.run({ A: a }), 1.5, 1)) * 2 * 1024 ** 3) / 1e9;
      await s.release();
    }
  }

  console.log(`\nImage tower of ${manifest.id}@${manifest.version} (${S}×${S} input, ${flops ? (flops / 1e6).toFixed(0) + ' MFLOP/image' : 'FLOPs unknown'}), ${COUNT} synthetic chips, patch outputs on`);
  console.log('batch  threads  ORT img/s  PyTorch img/s  ORT/PyTorch  FLOP-bound img/s  ORT % of bound');
  for (const threads of THREADS) {
    for (const batch of BATCHES) {
      const k = `${batch}x${threads}`;
      const t = torch?.images_per_s[k];
      const gemm = torch ? Math.max(torch.gemm_gflops[threads] ?? 0, ortGemm[threads] ?? 0) : undefined;
      const bound = flops && gemm ? (gemm * 1e9) / flops : undefined;
      console.log(
        `${String(batch).padEnd(7)}${String(threads).padEnd(9)}${ortRate[k]!.toFixed(1).padEnd(11)}${(t?.toFixed(1) ?? 'n/a').padEnd(15)}${(t ? (ortRate[k]! / t).toFixed(2) + '×' : 'n/a').padEnd(13)}${(bound?.toFixed(0) ?? 'n/a').padEnd(18)}${bound ? ((100 * ortRate[k]!) / bound).toFixed(0) + '%' : 'n/a'}`,
      );
    }
  }
  console.log(`\nEnd to end with resize + normalisation in Node (batch 32, 2 threads): ${e2e.toFixed(1)} img/s`);
  if (torch) {
    console.log(`fp32 GEMM 1024³, PyTorch ${torch.torch} / OpenBLAS: ${Object.entries(torch.gemm_gflops).map(([t, g]) => `${g.toFixed(1)} GFLOP/s @${t} thread(s)`).join(', ')}`);
    console.log(`fp32 GEMM 1024³, ONNX Runtime (MLAS): ${Object.entries(ortGemm).map(([t, g]) => `${g.toFixed(1)} GFLOP/s @${t} thread(s)`).join(', ')}`);
    console.log('FLOP bound = the faster GEMM rate ÷ FLOPs per image (a ceiling: attention and layer norms run below GEMM speed).');
  }
  else console.log('PyTorch comparison skipped: run `npm run setup:py` first.');
}

interface TorchResult {
  torch: string;
  images_per_s: Record<string, number>;
  gemm_gflops: Record<string, number>;
}

interface Lineage {
  architecture?: { image_size: number; patch_size: number; width: number; depth: number; mlp_ratio?: number };
}

/** FLOPs of one image through a ViT image tower with patch outputs (2 × multiply-adds). */
function imageTowerFlops(lin: Lineage | undefined, dim: number): number | null {
  const a = lin?.architecture;
  if (!a) return null;
  const g = a.image_size / a.patch_size;
  const n = g * g + 1;
  const w = a.width;
  const mlp = a.mlp_ratio ?? 4;
  const patchEmbed = g * g * 3 * a.patch_size ** 2 * w;
  const block = (4 + 2 * mlp) * n * w * w + 2 * n * n * w;
  return 2 * (patchEmbed + a.depth * block + n * w * dim);
}

async function rate(fn: () => Promise<unknown>, minSeconds = 1.5, perCall = COUNT): Promise<number> {
  await fn();
  let n = 0;
  const t0 = performance.now();
  for (;;) {
    await fn();
    n += perCall;
    const dt = (performance.now() - t0) / 1000;
    if (dt >= minSeconds) return n / dt;
  }
}

await main();
