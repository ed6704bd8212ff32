// vigil testcam's ONVIF simulator checked by an independent client, npm
// `onvif` (MIT): it connects (system time, services, profiles, video
// sources), reads the device information, the profiles and a stream URI,
// and sends a PTZ ContinuousMove, which the simulator records
// (GET /debug/ptz). A wrong password fails to connect. design/ONVIF.md
// "The simulator", invariant 9.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
const { Cam } = require('onvif');
const vigil = process.env.VIGIL_BIN;
if (!vigil) {
  console.error('VIGIL_BIN is not set');
  process.exit(2);
}

function startTestcam() {
  const child = spawn(vigil, ['testcam', '--listen', '127.0.0.1:0', '--size', '320x240', '--loop-seconds', '2',
    '--onvif-port', '0', '--onvif-password', 'secret', '--onvif-discovery', 'off'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('testcam did not start in 60 s')), 60_000);
    const lines = createInterface({ input: child.stdout });
    let rtsp;
    lines.on('line', (line) => {
      const served = line.match(/at (rtsp:\/\/\S+)\/cam\/0 /);
      if (served) rtsp = served[1];
      const onvif = line.match(/ONVIF device at http:\/\/([\d.]+):(\d+)\//);
      if (onvif) {
        clearTimeout(timer);
        resolve({ child, rtsp, host: onvif[1], port: Number(onvif[2]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`testcam exited with ${code}`)));
  });
}

function connect(host, port, password) {
  return new Promise((resolve, reject) => {
    const cam = new Cam({ hostname: host, port, username: 'admin', password, timeout: 10_000, autoconnect: false });
    cam.connect((err) => (err ? reject(err) : resolve(cam)));
  });
}

const call = (cam, method, ...args) =>
  new Promise((resolve, reject) => cam[method](...args, (err, result) => (err ? reject(err) : resolve(result))));

const testcam = await startTestcam();
try {
  const { host, port, rtsp } = testcam;

  const cam = await connect(host, port, 'secret');
  const info = await call(cam, 'getDeviceInformation');
  assert.equal(info.manufacturer, 'vigil');
  assert.equal(info.model, 'vigil testcam 0');
  const profiles = await call(cam, 'getProfiles');
  assert.ok(profiles.length >= 1, 'at least the main profile');
  assert.equal(profiles[0].$.token, 'main');
  assert.equal(Number(profiles[0].videoEncoderConfiguration.resolution.width), 320);
  const uri = await call(cam, 'getStreamUri', { protocol: 'RTSP', profileToken: 'main' });
  assert.equal(uri.uri, `${rtsp}/cam/0`);
  await call(cam, 'continuousMove', { profileToken: 'main', x: 0.5, y: -0.25, zoom: 0 });
  await call(cam, 'stop', { profileToken: 'main', panTilt: true, zoom: true });

  const seen = await (await fetch(`http://${host}:${port}/debug/ptz`)).json();
  assert.deepEqual(seen.map((c) => c.call), ['ContinuousMove', 'Stop']);
  assert.match(seen[0].body, /PanTilt[^>]*x="0.5"[^>]*y="-0.25"/);
  assert.equal(seen[0].profile, 'main');

  await assert.rejects(connect(host, port, 'wrong'), /not ?authori[sz]ed/i, 'a wrong password fails to connect');
  console.log(`onvif peer: ok (device ${info.model}, ${profiles.length} profile(s), ${uri.uri}, PTZ seen)`);
} finally {
  testcam.child.kill('SIGTERM');
}
