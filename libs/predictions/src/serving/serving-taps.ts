import { Injectable, Logger } from '@nestjs/common';
import type { InputColumns, OutputColumns } from '@app/inference';
import type { ServableVersion } from '@app/models';

/** Something that watches what serving answered (drift monitoring): called on the request's path, so it must be cheap and synchronous. */
export interface ServedRowsTap {
  served(version: ServableVersion, inputs: InputColumns, outputs: OutputColumns): void;
}

/**
 * Where libraries that build on serving (and that serving must not import: @app/monitoring) attach
 * to every answered prediction. A tap that throws is logged and never fails the request.
 */
@Injectable()
export class ServingTaps {
  private readonly logger = new Logger(ServingTaps.name);
  private taps: readonly ServedRowsTap[] = [];

  add(tap: ServedRowsTap): void {
    this.taps = [...this.taps, tap];
  }

  served(version: ServableVersion, inputs: InputColumns, outputs: OutputColumns): void {
    for (const tap of this.taps) {
      try {
        tap.served(version, inputs, outputs);
      } catch (error) {
        this.logger.error({ err: error, model: version.modelName, version: version.version, msg: 'a serving tap failed' });
      }
    }
  }
}
