import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { isModelGateError } from '@modelgate/sdk';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { SessionProvider } from './session';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      // The SDK retries what may be retried (429/503, network); a problem answer is final.
      retry: (count, error) => count < 1 && !isModelGateError(error),
      refetchOnWindowFocus: false,
    },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <SessionProvider>
        <App />
      </SessionProvider>
    </QueryClientProvider>
  </StrictMode>,
);
