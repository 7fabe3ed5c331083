import { useQueryClient } from '@tanstack/react-query';
import { Button } from 'react-aria-components';
import { BrowserRouter, Navigate, NavLink, Outlet, Route, Routes } from 'react-router';
import { LoginPage } from './pages/LoginPage';
import { ModelPage } from './pages/models/ModelPage';
import { ModelsPage } from './pages/models/ModelsPage';
import { NotYetPage } from './pages/NotYetPage';
import { adminRoutes } from './pages/admin';
import { governanceRoutes } from './pages/governance';
import { trainingRoutes } from './pages/training';
import { usageRoutes } from './pages/usage';
import type { AreaRoute } from './area';
import { type Role, useSession, useSessionApi } from './session';
import { Loading } from './ui';

/** The sections, and the least role that may use each (README "Roles"). */
export const SECTIONS: { path: string; label: string; role: Role }[] = [
  { path: 'models', label: 'Models', role: 'consumer' },
  { path: 'training', label: 'Training', role: 'ml-engineer' },
  { path: 'approvals', label: 'Approvals', role: 'ml-engineer' },
  { path: 'sunsets', label: 'Sunsets', role: 'ml-engineer' },
  { path: 'usage', label: 'Usage', role: 'admin' },
  { path: 'users', label: 'Users', role: 'admin' },
  { path: 'api-keys', label: 'API keys', role: 'admin' },
  { path: 'audit', label: 'Audit', role: 'admin' },
];

const AREA_ROUTES: AreaRoute[] = [...trainingRoutes, ...governanceRoutes, ...usageRoutes, ...adminRoutes];

export function App() {
  const { state } = useSessionApi();
  return (
    <BrowserRouter basename="/console">
      {state.status === 'restoring' ? (
        <main className="centered">
          <Loading label="Restoring your session" />
        </main>
      ) : state.status === 'signed-out' ? (
        <LoginPage notice={state.notice} />
      ) : (
        <Routes>
          <Route element={<Layout />}>
            <Route index element={<Navigate to="/models" replace />} />
            <Route path="models" element={<ModelsPage />} />
            <Route path="models/:name" element={<ModelPage />} />
            {AREA_ROUTES.map((r) => (
              <Route key={r.path} path={r.path} element={<Allowed role={r.role} element={r.element} />} />
            ))}
            <Route path="*" element={<NotYetPage title="Page not found" missing />} />
          </Route>
        </Routes>
      )}
    </BrowserRouter>
  );
}

/** A page only for `role` and above; anyone else is sent to the models (the API stays the guard). */
function Allowed({ role, element }: { role: Role; element: React.ReactElement }) {
  const session = useSession();
  return session.can(role) ? element : <Navigate to="/models" replace />;
}

function Layout() {
  const session = useSession();
  const { signOut } = useSessionApi();
  const queries = useQueryClient();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">ModelGate</span>
        <nav aria-label="Main">
          <ul>
            {SECTIONS.filter((s) => session.can(s.role)).map((s) => (
              <li key={s.path}>
                <NavLink to={`/${s.path}`}>{s.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span>
            {session.me.email ?? session.me.name} · <span className="role">{session.role}</span>
          </span>
          <Button
            className="button button-quiet"
            onPress={() => {
              void signOut().then(() => queries.clear());
            }}
          >
            Sign out
          </Button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
