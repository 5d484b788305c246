#!/usr/bin/env node
// Runs every exported case of DIR (DIR/cases.tsv; DIR/<case>/{model.onnx,x.npy,y.npy}, written by
// tests/onnx/runtimes_test.cpp) in ONNX Runtime and compares with physcnn's output:
// max |ort - physcnn| <= 1e-5 * max |physcnn|. Exit 1 when any case fails.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');
const { readNpy } = require('./npy');

async function main() {
  const dir = process.argv[2];
  const lines = fs.readFileSync(path.join(dir, 'cases.tsv'), 'utf8').split('\n').filter(Boolean);
  let failed = 0;
  for (const line of lines) {
    const name = line.split('\t')[0];
    const d = path.join(dir, name);
    const x = readNpy(path.join(d, 'x.npy'));
    const y = readNpy(path.join(d, 'y.npy'));
    let status;
    try {
      const session = await ort.InferenceSession.create(path.join(d, 'model.onnx'),
        { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
      const out = await session.run({ input: new ort.Tensor('float32', x.data, x.shape) });
      const got = out.output;
      if (JSON.stringify(got.dims.map(Number)) !== JSON.stringify(y.shape)) {
        status = `FAIL shape ${JSON.stringify(got.dims)} vs physcnn ${JSON.stringify(y.shape)}`;
      } else {
        let diff = 0, scale = 0;
        for (let i = 0; i < y.data.length; ++i) {
          diff = Math.max(diff, Math.abs(got.data[i] - y.data[i]));
          scale = Math.max(scale, Math.abs(y.data[i]));
        }
        const rel = diff / Math.max(scale, 1e-30);
        status = (rel <= 1e-5 ? 'ok  ' : 'FAIL') + ` relative difference ${rel.toExponential(2)}`;
      }
    } catch (e) {
      status = `FAIL ${e.message}`;
    }
    if (status.startsWith('FAIL')) ++failed;
    console.log(`onnxruntime ${ort.env.versions ? ort.env.versions.common : ''} ${name}: ${status}`);
  }
  console.log(`${lines.length - failed} of ${lines.length} cases match in ONNX Runtime`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(2); });
