// Keeps a rendering bug in one page from blanking the whole console: the page shows the error instead.
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { ErrorState } from './states.js';

interface State {
  readonly error: unknown;
}

export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error('console page failed', error, info.componentStack);
  }

  override render() {
    if (this.state.error) {
      return <ErrorState error={this.state.error} onRetry={() => this.setState({ error: null })} />;
    }
    return this.props.children;
  }
}
