import { PageHeader } from '../components/page-header.js';
import { Link } from '../router.js';

export function NotFoundPage({ path }: { path: string }) {
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        Nothing lives at <code>{path}</code>. Go back to the <Link to="/">overview</Link>.
      </p>
    </>
  );
}
