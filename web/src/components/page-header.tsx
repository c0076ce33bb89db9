import { useEffect, type ReactNode } from 'react';
import { Link } from '../router.js';

interface Crumb {
  readonly label: string;
  readonly to: string;
}

interface PageHeaderProps {
  readonly title: ReactNode;
  /** Plain-text title for the browser tab, when `title` is not a string. */
  readonly documentTitle?: string;
  readonly crumbs?: readonly Crumb[];
  readonly children?: ReactNode;
}

export function PageHeader({ title, documentTitle, crumbs = [], children }: PageHeaderProps) {
  const tabTitle = documentTitle ?? (typeof title === 'string' ? title : undefined);
  useEffect(() => {
    document.title = tabTitle ? `${tabTitle} · Keel` : 'Keel';
  }, [tabTitle]);
  return (
    <header className="page-header">
      {crumbs.length > 0 && (
        <nav className="crumbs" aria-label="Breadcrumb">
          {crumbs.map((crumb) => (
            <span key={crumb.to}>
              <Link to={crumb.to}>{crumb.label}</Link> /{' '}
            </span>
          ))}
        </nav>
      )}
      <div className="page-title-row">
        <h1>{title}</h1>
        {children}
      </div>
    </header>
  );
}
