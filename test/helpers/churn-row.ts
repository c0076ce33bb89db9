/** One customer of the churn example as an endpoint takes it: a raw CSV row without the target. */
export const churnRow = {
  customerID: '7590-VHVEG',
  gender: 'Female',
  SeniorCitizen: 0,
  Partner: 'Yes',
  Dependents: 'No',
  tenure: 1,
  PhoneService: 'No',
  MultipleLines: 'No phone service',
  InternetService: 'DSL',
  OnlineSecurity: 'No',
  OnlineBackup: 'Yes',
  DeviceProtection: 'No',
  TechSupport: 'No',
  StreamingTV: 'No',
  StreamingMovies: 'No',
  Contract: 'Month-to-month',
  PaperlessBilling: 'Yes',
  PaymentMethod: 'Electronic check',
  MonthlyCharges: 29.85,
  TotalCharges: 29.85,
} as const;

/** A second customer, far less likely to churn. */
export const loyalChurnRow = {
  ...churnRow,
  customerID: '0001-LOYAL',
  Contract: 'Two year',
  tenure: 60,
  TotalCharges: 1800,
};

/** JSON from a fetch response, typed loosely as tests read arbitrary JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are arbitrary JSON
export type Json = Record<string, any>;

/** POSTs JSON (or `raw` text) and returns the status and the parsed body. */
export async function postJson(url: string, body: unknown, raw?: string): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ?? JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

export async function getJson(url: string): Promise<{ status: number; body: Json }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Json };
}
