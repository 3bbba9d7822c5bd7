// The browser test of `imagepipe dev`: headless Debian Chromium, driven by
// playwright-core, does what a person does on the page. The Go test
// TestBrowser starts the server and runs this script with:
//
//   BASE_URL       the page, such as http://127.0.0.1:41234
//   DONE_FILES     JSON list of image files that must end DONE
//   FAILED_FILES   JSON list of files that must end FAILED
//   ORIGINALS      the originals bucket, whose figures the metrics view shows
//   ARTIFACTS      directory for the screenshots
//   USER_DATA_DIR  a fresh, empty Chromium profile directory
//
// It exits non-zero, with the reason on stderr, when the page does not
// show what it should.
import { chromium } from 'playwright-core';
import path from 'node:path';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const base = env('BASE_URL');
const doneFiles = JSON.parse(env('DONE_FILES'));
const failedFiles = JSON.parse(env('FAILED_FILES'));
const artifacts = env('ARTIFACTS');
const originals = env('ORIGINALS');
const WAIT = 120000;

const context = await chromium.launchPersistentContext(env('USER_DATA_DIR'), {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
});
const pageErrors = [];
let step = 0;

async function shot(page, name) {
  const file = path.join(artifacts, `${String(++step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log('screenshot', file);
}

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

try {
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => console.log(`[page ${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.setDefaultTimeout(WAIT);

  // Sign in as a named dev user.
  await page.goto(base);
  await page.fill('#username', 'ada');
  await page.click('#signin-form button[type=submit]');
  await page.waitForSelector('#images-view:not([hidden])');
  check((await page.textContent('#who-name')) === 'ada', 'the page does not say who is signed in');
  await shot(page, 'signed-in');

  // Pick the files at once: each goes POST /uploads, then PUT to S3 with
  // progress. Record the largest progress the page showed for any card.
  await page.evaluate(() => {
    window.__maxProgress = 0;
    new MutationObserver(() => {
      for (const p of document.querySelectorAll('.card progress')) {
        window.__maxProgress = Math.max(window.__maxProgress, Number(p.value));
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  await page.setInputFiles('#files', [...doneFiles, ...failedFiles]);

  // The test slows Resize down so that a poll finds an image in it; the
  // screenshot is a record, not a check, since catching it is a race.
  try {
    await page.waitForSelector('.card[data-status=RUNNING]', { timeout: 15000 });
    console.log('seen running:', await page.textContent('.card[data-status=RUNNING] .status'));
    await shot(page, 'running');
  } catch (_) {
    console.log('no image was caught RUNNING by a poll');
  }

  const total = doneFiles.length + failedFiles.length;
  await page.waitForFunction((n) => {
    const cards = [...document.querySelectorAll('.card')];
    return cards.length === n && cards.every((c) => ['DONE', 'FAILED'].includes(c.dataset.status));
  }, total);
  // Thumbnails come through presigned GET URLs on the S3 endpoint.
  await page.waitForFunction((n) => [...document.querySelectorAll(
    '.card[data-status=DONE] img.thumb')].filter((i) => i.complete && i.naturalWidth > 0)
    .length === n, doneFiles.length);

  const cards = await page.$$eval('.card', (cs) => cs.map((c) => ({
    name: c.dataset.name, status: c.dataset.status, imageId: c.dataset.imageId,
    reason: c.querySelector('.reason')?.textContent || '',
    thumb: c.querySelector('img.thumb')?.naturalWidth || 0,
  })));
  console.log('cards', JSON.stringify(cards));
  for (const f of doneFiles) {
    const c = cards.find((x) => x.name === path.basename(f));
    check(c && c.status === 'DONE' && c.thumb > 0,
      `${path.basename(f)} is not DONE with a thumbnail`);
  }
  for (const f of failedFiles) {
    const c = cards.find((x) => x.name === path.basename(f));
    check(c && c.status === 'FAILED' && c.reason.length > 0,
      `${path.basename(f)} is not FAILED with a reason`);
  }
  const progress = await page.evaluate(() => window.__maxProgress);
  console.log('largest upload progress shown', progress);
  await shot(page, 'images-done-and-failed');

  // Open the failed image's execution: its states, the rejection branch.
  await page.click('.card[data-status=FAILED] .open-execution');
  await page.waitForSelector('#executions-view:not([hidden])');
  await page.waitForSelector('#exec-detail .state[data-state=Rejected]');
  const statusLine = await page.textContent('#exec-status-line');
  check(statusLine.includes('FAILED') && statusLine.includes('ImageRejected'),
    `the execution's status line is "${statusLine}", want FAILED · ImageRejected`);
  const states = await page.$$eval('#exec-detail .state', (ss) => ss.map((s) =>
    `${s.dataset.state}:${s.dataset.status}`));
  console.log('states', states.join(' '));
  check(states.includes('Fetch:CAUGHT') && states.includes('RecordRejection:SUCCEEDED') &&
    states.includes('Rejected:FAILED'), `unexpected states ${states.join(' ')}`);
  check(await page.isVisible('#redrive') && await page.isVisible('#restart'),
    'the Redrive and new-execution buttons are missing');
  await page.click('#exec-detail .state[data-state=Fetch] details summary');
  await shot(page, 'failed-execution');

  // The CustomS3 figures, measured now rather than on the schedule.
  await page.click('nav a[data-view=metrics]');
  await page.click('#metrics-run');
  await page.waitForFunction(([bucket, n]) => {
    const row = document.querySelector(
      `#metrics-table tr[data-bucket="${bucket}"][data-prefix="user-uploads/"] .objects`);
    return row && Number(row.textContent) === n;
  }, [originals, total]);
  await shot(page, 'metrics');

  check(pageErrors.length === 0, `the page threw: ${pageErrors.join('; ')}`);
  console.log('ok');
} catch (e) {
  const page = context.pages()[0];
  if (page) await shot(page, 'failure').catch(() => {});
  console.error(e.stack || String(e));
  process.exitCode = 1;
} finally {
  await context.close();
}
