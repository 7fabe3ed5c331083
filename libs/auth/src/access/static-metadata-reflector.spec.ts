import { SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { StaticMetadataReflector } from './static-metadata-reflector';

class Controller {
  @SetMetadata('role', 'admin')
  handlerWithOwn() {}

  inherits() {}
}
SetMetadata('role', 'consumer')(Controller);

describe('StaticMetadataReflector', () => {
  it('answers as Reflector does, per handler and class, and reads metadata once', () => {
    const cached = new StaticMetadataReflector();
    const plain = new Reflector();
    const proto = Controller.prototype;
    const targets = (h: () => void) => [h, Controller] as [() => void, typeof Controller];
    for (const h of [proto.handlerWithOwn, proto.inherits]) {
      expect(cached.getAllAndOverride('role', targets(h))).toBe(plain.getAllAndOverride('role', targets(h)));
    }
    expect(cached.getAllAndOverride('missing', targets(proto.inherits))).toBeUndefined();

    const read = jest.spyOn(Reflect, 'getMetadata');
    cached.getAllAndOverride('role', targets(proto.handlerWithOwn));
    cached.getAllAndOverride('missing', targets(proto.inherits));
    expect(read).not.toHaveBeenCalled();
    read.mockRestore();
  });
});
