import { followTrainingEvents, type ModelGateClient, type TrainingEvent } from '@modelgate/sdk';

/**
 * A job's events, as `client.trainingEvents(id)` gives them (typed, reconnecting, over the client's
 * authenticated fetch), with one difference in how the response is read. Chromium reports a fetch
 * whose body is read only as a stream as aborted (net::ERR_ABORTED) when the server ends it, or when
 * the SDK cancels it after the `status` event, although every byte arrived: each job followed to
 * its end would be a failed request in the network log. A clone of the response read whole
 * (arrayBuffer) makes it end as a finished request; the events still arrive one by one on the
 * original. The clone holds the stream's bytes until it ends (a few hundred bytes per epoch).
 * `signal` (leaving the page) still aborts the request at once.
 */
export function jobEvents(client: ModelGateClient, id: string, signal: AbortSignal): AsyncIterable<TrainingEvent> {
  const config = client.api.getConfig();
  const send = config.fetch ?? globalThis.fetch;
  const url = `${config.baseUrl ?? ''}/v1/training-jobs/${encodeURIComponent(id)}/events`;
  return followTrainingEvents(
    async (headers) => {
      const response = await send(url, { method: 'GET', headers, signal });
      // Read whole, and dropped: an abort or a broken connection is the original's to report.
      if (response.ok && response.body)
        void response
          .clone()
          .arrayBuffer()
          .catch(() => undefined);
      return response;
    },
    { signal },
  );
}
