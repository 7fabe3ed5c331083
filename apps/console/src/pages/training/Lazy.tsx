import { Component, type ReactNode, Suspense } from 'react';
import { ErrorNotice, Loading } from '../../ui';

/** Code loaded on demand failed to load (offline, or a newer console deployed meanwhile): say so rather than show nothing. */
class LoadFailure extends Component<{ children: ReactNode; what: string }, { error?: unknown }> {
  state: { error?: unknown } = {};
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  render() {
    if (this.state.error === undefined) return this.props.children;
    return (
      <>
        <ErrorNotice error={this.state.error} title={`The ${this.props.what} could not be loaded`} />
        <p>Reload the page to try again.</p>
      </>
    );
  }
}

/** Shows `children` (lazy components) once their code has arrived. */
export function Lazy({ children, what = 'page' }: { children: ReactNode; what?: string }) {
  return (
    <LoadFailure what={what}>
      <Suspense fallback={<Loading label={`Loading the ${what}`} />}>{children}</Suspense>
    </LoadFailure>
  );
}
