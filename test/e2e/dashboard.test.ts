import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONITORING_DEMO, startDemoServer } from '../helpers/demo-server.js';
import { launchBrowser } from './browser.js';

/**
 * The dashboard in a real browser against a real server: the churn example pipeline has run
 * into a temporary workspace and a few predictions were sent, so every page has data to show.
 */
describe('dashboard', () => {
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      // The endpoint page's monitoring has something to show: a shift on two features, and an alert on it.
      startDemoServer(MONITORING_DEMO),
      launchBrowser(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  interface OpenPage {
    readonly page: Page;
    /** Console errors and uncaught exceptions the page produced so far. */
    readonly errors: string[];
  }

  /** Loads `path` the way a reload or a pasted link would: straight from the server. */
  async function open(path: string): Promise<OpenPage> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(server.url + path);
    return { page, errors };
  }

  async function textOf(page: Page, selector: string): Promise<string> {
    const locator = page.locator(selector).first();
    await locator.waitFor();
    return (await locator.textContent()) ?? '';
  }

  /** The headline number of a monitoring card, e.g. "Requests" → 12. */
  async function statValue(page: Page, label: string): Promise<string> {
    return textOf(page, `.stat:has(.stat-label:text-is("${label}")) .stat-value`);
  }

  it('shows counts and the latest pipeline run with its steps on the overview', async () => {
    const { page, errors } = await open('/');
    await page.getByRole('heading', { name: 'Latest pipeline run' }).waitFor();

    expect(Number(await statValue(page, 'Datasets'))).toBeGreaterThanOrEqual(1);
    expect(Number(await statValue(page, 'Models'))).toBeGreaterThanOrEqual(1);
    expect(Number(await statValue(page, 'Endpoints'))).toBeGreaterThanOrEqual(1);
    const steps = page.locator('section:has(h2:text-is("Latest pipeline run")) tbody tr');
    expect(await steps.count()).toBeGreaterThan(1);
    expect(await steps.first().locator('.badge').textContent()).toMatch(/succeeded|cached/);

    // Links move between pages without a reload.
    await page.getByRole('link', { name: 'Datasets', exact: true }).first().click();
    await page.getByRole('link', { name: 'telco-churn' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/datasets');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('profiles a dataset version column by column', async () => {
    const { page, errors } = await open('/datasets');
    await page.getByRole('link', { name: 'telco-churn' }).click();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();

    expect(new URL(page.url()).pathname).toBe('/datasets/telco-churn');
    const tenure = page.locator('.profile-table tr', { hasText: 'tenure' });
    await tenure.waitFor();
    expect(await tenure.locator('td').nth(1).textContent()).toMatch(/integer|float/);
    expect(await page.locator('.profile-table .histogram').count()).toBeGreaterThan(0);
    expect(await page.locator('.profile-table .top-values').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lists runs with their key metrics and opens a run with its roc_auc', async () => {
    const { page, errors } = await open('/runs');
    const withAuc = page.locator('tbody tr').filter({
      has: page.locator('td[data-metric="roc_auc"]', { hasText: /^0\.\d+$/ }),
    });
    await withAuc.first().waitFor();

    await withAuc.first().locator('a').first().click();
    await page.getByRole('heading', { name: 'Metrics' }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/runs\/run_/);
    expect(Number(await textOf(page, '.record-table tr:has(th:text-is("roc_auc")) td'))).toBeGreaterThan(0.5);
    await page.getByRole('heading', { name: 'Parameters' }).waitFor();
    await page.getByRole('heading', { name: 'Artifacts' }).waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });

  it("draws a run's evaluation report: curves, confusion matrix, slices and largest errors", async () => {
    const { page, errors } = await open('/runs');
    const withAuc = page.locator('tbody tr').filter({
      has: page.locator('td[data-metric="roc_auc"]', { hasText: /^0\.\d+$/ }),
    });
    await withAuc.first().waitFor();
    await withAuc.first().locator('a').first().click();
    await page.locator('[data-testid="evaluation-report"]').waitFor();

    for (const chart of ['roc-curve', 'pr-curve', 'calibration-curve']) {
      await page.locator(`[data-testid="${chart}"] svg.recharts-surface`).waitFor();
      expect(await page.locator(`[data-testid="${chart}"] .recharts-line-curve`).count(), chart).toBe(1);
    }
    const cells = await page.locator('.confusion-matrix tbody td').allTextContents();
    expect(cells).toHaveLength(4);
    expect(cells.reduce((sum, text) => sum + Number(text.replaceAll(',', '')), 0)).toBe(1409);

    const contract = page.locator('.slice-table tbody tr', { hasText: 'Contract' });
    expect(await contract.count()).toBe(3);
    expect(await page.locator('.slice-table .badge', { hasText: /^worst #1$/ }).count()).toBe(1);
    expect(await page.locator('.worst-slices li').count()).toBeGreaterThan(0);

    const largest = page.locator('.largest-errors tbody tr');
    expect(await largest.count()).toBe(20);
    expect(await largest.first().locator('td').first().textContent()).toMatch(/^\d{4}-[A-Z]{5}$/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('compares the candidate runs side by side', async () => {
    const { page, errors } = await open('/runs');
    const withAuc = page.locator('tbody tr').filter({
      has: page.locator('td[data-metric="roc_auc"]', { hasText: /^0\.\d+$/ }),
    });
    await withAuc.first().waitFor();
    expect(await withAuc.count()).toBeGreaterThanOrEqual(2);
    await withAuc.nth(0).getByRole('checkbox').check();
    await withAuc.nth(1).getByRole('checkbox').check();

    await page.getByRole('button', { name: 'Compare (2)' }).click();
    const aucRow = page.locator('.compare-table tr:has(th:text-is("roc_auc"))');
    await aucRow.waitFor();
    expect(new URL(page.url()).pathname).toBe('/runs/compare');
    expect(await aucRow.locator('td').count()).toBe(2);
    expect(await aucRow.locator('td.best').count()).toBeGreaterThanOrEqual(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the churn model with its champion and the alias history', async () => {
    const { page, errors } = await open('/models');
    const churn = page.locator('tbody tr', { hasText: 'churn' });
    await churn.locator('.badge', { hasText: '@champion' }).waitFor();

    await churn.getByRole('link', { name: 'churn', exact: true }).click();
    await page.getByRole('heading', { name: 'Alias history' }).waitFor();
    const champion = page.locator('section:has(h2:text-is("Versions")) tbody tr', { hasText: '@champion' });
    expect(await champion.count()).toBe(1);
    expect(await textOf(page, 'section:has(h2:text-is("Alias history")) tbody')).toContain('@champion');
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows each version's gate decision, and the champion's lineage and model card", async () => {
    const { page, errors } = await open('/models/churn');
    const champion = page.locator('section:has(h2:text-is("Versions")) tbody tr', { hasText: '@champion' });
    await champion.waitFor();
    expect(await champion.locator('.badge', { hasText: /^blessed$/ }).count()).toBe(1);

    const detail = page.locator('[data-testid="version-detail"]');
    await detail.locator('.lineage-node').first().waitFor();
    const stages = await detail.locator('.lineage-stage').allTextContents();
    expect(stages[0]).toMatch(/^Datatelco-churn@1 7,043 rows · csv/);
    expect(stages[1]).toMatch(/^Runlogistic_regression finished/);
    expect(stages[2]).toMatch(/^Model versionchurn@1 @champion/);
    expect(stages[3]).toMatch(/^Endpointschurn primary 100%/);
    expect(await detail.locator('.limitations li').count()).toBeGreaterThan(2);
    await detail.getByText('Model card (Markdown)').click();
    expect(await detail.locator('.model-card').textContent()).toMatch(/^# Model card: churn@1/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('monitors the churn endpoint, and its curl example predicts', async () => {
    const { page, errors } = await open('/endpoints');
    await page.getByRole('link', { name: 'churn', exact: true }).click();
    await page.getByRole('heading', { name: 'Traffic policy' }).waitFor();

    expect(await textOf(page, 'section:has(h2:text-is("Traffic policy")) tbody')).toMatch(/churn@v\d+/);
    const requests = Number((await statValue(page, 'Requests')).replaceAll(',', ''));
    expect(requests).toBeGreaterThan(0);
    expect(await statValue(page, 'Error rate')).toMatch(/%$/);
    for (const quantile of ['p50', 'p95', 'p99']) {
      expect(await statValue(page, `${quantile} latency`)).toMatch(/ms$/);
    }
    // Demo traffic may fall in one minute: then each quantile is a dot rather than a line.
    await page.locator('[data-testid="latency-chart"] svg.recharts-surface').first().waitFor();
    expect(await textOf(page, '[data-testid="latency-chart"] .recharts-legend-wrapper')).toMatch(/p50.*p95.*p99/);
    await page.getByRole('heading', { name: 'Input drift' }).waitFor();

    // The ready-to-paste request is a real one: the server answers it.
    const curl = await textOf(page, '.code-block code');
    expect(curl).toContain(`${server.url}/v1/endpoints/churn/predict`);
    const body = /-d '(.*)'$/s.exec(curl)?.[1] ?? '';
    const response = await fetch(`${server.url}/v1/endpoints/churn/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(200);

    // The page refreshes itself and counts that request.
    await page.waitForFunction(
      ([label, before]) => {
        const stat = [...document.querySelectorAll('.stat')].find(
          (element) => element.querySelector('.stat-label')?.textContent === label,
        );
        return Number(stat?.querySelector('.stat-value')?.textContent?.replaceAll(',', '')) > Number(before);
      },
      ['Requests', String(requests)] as const,
      { timeout: 15_000 },
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows throughput, alerts, drift per feature over time and quality on the endpoint page', async () => {
    const { page, errors } = await open('/endpoints/churn');
    await page.getByRole('heading', { name: 'Input drift' }).waitFor();

    await page.locator('[data-testid="throughput-chart"] svg.recharts-surface').first().waitFor();

    // The drift rule fires; the latency rule does not. Firing rules come first.
    const alerts = page.locator('[data-testid="alerts-table"] tbody tr');
    await alerts.first().waitFor();
    expect(await alerts.count()).toBe(2);
    expect(await alerts.nth(0).textContent()).toMatch(/input-drift.*firing/);
    expect(await alerts.nth(1).textContent()).toMatch(/slow.*ok/);

    // Exactly the two shifted features drift on input, drawn as drifted lines over time.
    const drifted = await page
      .locator('[data-testid="input-drift-table"] tbody tr.drifted-row td:first-child')
      .allTextContents();
    expect(drifted.map((name) => name.trim()).sort()).toEqual(['Contract', 'MonthlyCharges']);
    await page.locator('[data-testid="input-drift-chart"] svg.recharts-surface').first().waitFor();
    const legend = await textOf(page, '[data-testid="input-drift-chart"] .recharts-legend-wrapper');
    expect(legend).toContain('MonthlyCharges · drifted');
    expect(legend).toContain('Contract · drifted');
    // The model's output moved with them.
    await page.locator('[data-testid="output-drift-chart"] svg.recharts-surface').first().waitFor();

    // Feedback arrived for the first predictions: quality per window from those labels.
    const quality = await textOf(page, '[data-testid="quality-table"]');
    expect(quality).toMatch(/accuracy/i);
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(tmpdir(), 'keel-endpoint-page.png'), fullPage: true });
    await page.close();
  });

  it('says "not found" for an unknown page and shows the API error for an unknown model', async () => {
    const unknownPage = await open('/no-such-page');
    await unknownPage.page.getByRole('heading', { name: 'Page not found' }).waitFor();
    expect(unknownPage.errors).toEqual([]);
    await unknownPage.page.close();

    // The browser logs the 404 response itself, so this page is not checked for console errors.
    const unknownModel = await open('/models/no-such-model');
    expect(await textOf(unknownModel.page, '[role="alert"]')).toContain('no-such-model');
    await unknownModel.page.close();
  });
});
