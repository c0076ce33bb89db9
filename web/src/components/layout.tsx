import type { ReactNode } from 'react';
import { Link, useLocation } from '../router.js';

const sections = [
  { to: '/', label: 'Overview' },
  { to: '/datasets', label: 'Datasets' },
  { to: '/runs', label: 'Runs' },
  { to: '/models', label: 'Models' },
  { to: '/endpoints', label: 'Endpoints' },
];

function isActive(section: string, pathname: string): boolean {
  return section === '/' ? pathname === '/' : pathname === section || pathname.startsWith(`${section}/`);
}

export function Layout({ children }: { children: ReactNode }) {
  const { pathname } = useLocation();
  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand">
            Keel
          </Link>
          <nav className="nav">
            {sections.map((section) => (
              <Link key={section.to} to={section.to} className={isActive(section.to, pathname) ? 'active' : undefined}>
                {section.label}
              </Link>
            ))}
          </nav>
        </div>
      </header>
      <main className="content">{children}</main>
    </>
  );
}
