// A gRPC client of the Open Inference Protocol on @grpc/grpc-js (a pure JavaScript HTTP/2 and gRPC stack, independent
// of grpcio's C core), the service loaded from the .proto at run time by @grpc/proto-loader. Usage:
//   node oip_client.mjs PROTO HOST:PORT CASES.json      (CASES: {"rows": [...], "key": "cvk_..."})
// Prints one JSON object: what each call answered, or the status it was refused with.
import fs from 'node:fs';
import grpc from '@grpc/grpc-js';
import loader from '@grpc/proto-loader';

const [proto, target, casesFile] = process.argv.slice(2);
const cases = JSON.parse(fs.readFileSync(casesFile, 'utf8'));
const pkg = grpc.loadPackageDefinition(loader.loadSync(proto, {keepCase: true, longs: Number, defaults: true}));
const client = new pkg.inference.GRPCInferenceService(target, grpc.credentials.createInsecure());
const md = new grpc.Metadata();
if (cases.key) md.set('authorization', 'Bearer ' + cases.key);
const call = (method, req) => new Promise((resolve) => client[method](req, md, (err, res) =>
  resolve(err ? {refused: {code: grpc.status[err.code], details: err.details}} : {res})));

const out = {};
out.ready = (await call('ServerReady', {})).res.ready;
const meta = (await call('ModelMetadata', {name: 'credit_risk'})).res;
const inputs = meta.inputs.filter((t) => t.name !== 'entity_id');
const request = {model_name: 'credit_risk', id: 'js-1', inputs: inputs.map((t) => ({
  name: t.name, datatype: t.datatype, shape: [cases.rows.length],
  contents: t.datatype === 'BYTES' ? {bytes_contents: cases.rows.map((r) => Buffer.from(String(r[t.name])))}
    : {fp64_contents: cases.rows.map((r) => r[t.name])},
}))};
const answer = (await call('ModelInfer', request)).res;
out.infer = {id: answer.id, model_version: answer.model_version, outputs: Object.fromEntries(answer.outputs.map((t) =>
  [t.name, {datatype: t.datatype, shape: t.shape, classes: t.parameters.classes?.string_param ?? null,
    data: t.datatype === 'BYTES' ? t.contents.bytes_contents.map((b) => b.toString()) : t.datatype === 'INT32'
      ? t.contents.int_contents : t.contents.fp64_contents}]))};
const bad = structuredClone(request);
bad.inputs[0].datatype = 'BOOL';
out.bad_tensor = (await call('ModelInfer', bad)).refused;
out.unknown_model = (await call('ModelInfer', {model_name: 'churn'})).refused;
client.close();
console.log(JSON.stringify(out));
