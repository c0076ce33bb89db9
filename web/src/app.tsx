import { lazy, Suspense, type ReactNode } from 'react';
import { Loading } from './components/async-view.js';
import { Layout } from './components/layout.js';
import { DatasetDetailPage } from './pages/dataset-detail.js';
import { DatasetsPage } from './pages/datasets.js';
import { EndpointsPage } from './pages/endpoints.js';
import { ModelDetailPage } from './pages/model-detail.js';
import { ModelsPage } from './pages/models.js';
import { NotFoundPage } from './pages/not-found.js';
import { OverviewPage } from './pages/overview.js';
import { RunComparePage } from './pages/run-compare.js';
import { RunDetailPage } from './pages/run-detail.js';
import { RunsPage } from './pages/runs.js';
import { matchPath, useLocation } from './router.js';

// The charting library is the bulk of the bundle: load it only with the page that draws charts.
const EndpointDetailPage = lazy(async () => ({
  default: (await import('./pages/endpoint-detail.js')).EndpointDetailPage,
}));

type Params = Record<string, string>;

const routes: ReadonlyArray<{ pattern: string; render: (params: Params) => ReactNode }> = [
  { pattern: '/', render: () => <OverviewPage /> },
  { pattern: '/datasets', render: () => <DatasetsPage /> },
  { pattern: '/datasets/:name', render: (p) => <DatasetDetailPage name={p.name} /> },
  { pattern: '/runs', render: () => <RunsPage /> },
  // Before `/runs/:id`: the first matching pattern wins.
  { pattern: '/runs/compare', render: () => <RunComparePage /> },
  { pattern: '/runs/:id', render: (p) => <RunDetailPage id={p.id} /> },
  { pattern: '/models', render: () => <ModelsPage /> },
  { pattern: '/models/:name', render: (p) => <ModelDetailPage name={p.name} /> },
  { pattern: '/endpoints', render: () => <EndpointsPage /> },
  { pattern: '/endpoints/:name', render: (p) => <EndpointDetailPage name={p.name} /> },
];

export function App() {
  const { pathname } = useLocation();
  let page: ReactNode = <NotFoundPage path={pathname} />;
  for (const route of routes) {
    const params = matchPath(route.pattern, pathname);
    if (params) {
      page = route.render(params);
      break;
    }
  }
  return (
    <Layout>
      {/* Keyed by path so moving between two runs starts each page fresh. */}
      <Suspense fallback={<Loading />} key={pathname}>
        {page}
      </Suspense>
    </Layout>
  );
}
