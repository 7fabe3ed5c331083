import { lastValueFrom, of } from 'rxjs';
import type { ExecutionContext } from '@nestjs/common';
import { WithHeaders, WithHeadersInterceptor } from './with-headers';

describe('WithHeadersInterceptor', () => {
  const reply = {
    set: {} as Record<string, string>,
    headers(h: Record<string, string>) {
      Object.assign(this.set, h);
      return this;
    },
  };
  const ctx = { switchToHttp: () => ({ getResponse: () => reply }) } as unknown as ExecutionContext;

  it('moves headers onto the reply and sends only the body', async () => {
    const out = await lastValueFrom(
      new WithHeadersInterceptor().intercept(ctx, { handle: () => of(new WithHeaders({ a: 1 }, { 'X-Model-Version': '3' })) }),
    );
    expect(out).toEqual({ a: 1 });
    expect(reply.set).toEqual({ 'X-Model-Version': '3' });
  });

  it('passes other results through untouched', async () => {
    expect(await lastValueFrom(new WithHeadersInterceptor().intercept(ctx, { handle: () => of([1, 2]) }))).toEqual([1, 2]);
  });
});
