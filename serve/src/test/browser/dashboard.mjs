// Drives the dashboard in Debian's Chromium for DashboardBrowserIT, which reads each line this prints and answers
// the lines that ask it to act ("ready-for-load", "ready-for-promotion") on stdin. Exits 1 on any failure.
// Usage: node dashboard.mjs BASE_URL ADMIN_TOKEN SCREENSHOT.png
import {chromium} from 'playwright-core';
import {createInterface} from 'node:readline';

const [base, token, screenshot] = process.argv.slice(2);
const stdin = createInterface({input: process.stdin});
const lines = stdin[Symbol.asyncIterator]();
const say = (s) => console.log(s);
async function waitFor(word) {
  for (;;) {
    const {value, done} = await lines.next();
    if (done) throw new Error('stdin closed while waiting for ' + word);
    if (value.trim() === word) return;
  }
}

const browser = await chromium.launch({executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run']});
const errors = [];
let failed = null;
try {
  const page = await browser.newPage({viewport: {width: 1400, height: 1900}});
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(base + '/ui/');
  await page.waitForSelector('#champion[data-version="1"]', {timeout: 20000});
  say('champion v1');

  await page.waitForSelector('#versions button.promote', {timeout: 10000});
  const disabled = await page.$$eval('button.admin', (bs) => bs.length > 0 && bs.every((b) => b.disabled));
  say(disabled ? 'read-only' : 'admin buttons enabled without a token');
  const anonymous = await fetch(base + '/admin/registry/promote', {method: 'POST',
    headers: {'content-type': 'application/json'}, body: JSON.stringify({version: 2})});
  say('refused without the token: ' + anonymous.status);

  const pointsBefore = Number(await page.getAttribute('#traffic-chart', 'data-points'));
  say('ready-for-load');
  await waitFor('load');
  await page.waitForFunction((before) => {
    const el = document.getElementById('traffic-chart');
    return Number(el.dataset.points) > before && Number(el.dataset.lastOk) > 0;
  }, pointsBefore, {timeout: 20000});
  say('chart updates');
  await page.waitForSelector('.breaker[data-dependency="redis"][data-state="open"]', {timeout: 30000});
  say('redis breaker open');

  say('ready-for-promotion');
  await waitFor('promoted');
  await page.waitForSelector('#history li[data-event="promoted"][data-version="2"]', {timeout: 20000});
  say('promotion in history');
  await page.waitForSelector('#champion[data-version="2"]', {timeout: 20000});
  say('champion v2');

  await page.fill('#token', token);
  const enabled = await page.$$eval('button.admin', (bs) => bs.length > 0 && bs.every((b) => !b.disabled));
  say(enabled ? 'admin enabled with the token' : 'admin buttons still disabled');
  await page.waitForTimeout(1500);
  await page.screenshot({path: screenshot, fullPage: true});
  say('screenshot');
} catch (e) {
  failed = e;
} finally {
  await browser.close();
}
say('console errors: ' + errors.length + (errors.length ? ' ' + JSON.stringify(errors) : ''));
if (failed) {
  say('failed: ' + failed.message);
  process.exit(1);
}
process.exit(0);
