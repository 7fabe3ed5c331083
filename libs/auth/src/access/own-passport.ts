import passport from 'passport';

const instances = new WeakMap<object, passport.Authenticator>();

/**
 * passport keeps strategies in one process-wide registry by name, so two apps in one process
 * (tests, tools) would verify tokens with each other's keys. Each strategy gets its own
 * Authenticator instead (returned from @nestjs/passport's getPassportInstance hook).
 */
export function ownPassport(strategy: object): passport.Authenticator {
  let instance = instances.get(strategy);
  if (!instance) {
    instance = new passport.Authenticator();
    instances.set(strategy, instance);
  }
  return instance;
}

export interface PassportOutcome<T> {
  user: T | false;
  info: unknown;
}

/** Runs one strategy on a request without sessions; errors thrown by `validate` reject. */
export function authenticate<T>(
  strategy: { getPassportInstance(): passport.Authenticator },
  name: string,
  req: unknown,
  res: unknown,
): Promise<PassportOutcome<T>> {
  return new Promise((resolve, reject) => {
    const middleware = strategy
      .getPassportInstance()
      .authenticate(name, { session: false }, (err: unknown, user: T | false, info: unknown) =>
        err ? reject(err) : resolve({ user, info }),
      );
    middleware(req, res, (err: unknown) => (err ? reject(err) : resolve({ user: false, info: undefined })));
  });
}
