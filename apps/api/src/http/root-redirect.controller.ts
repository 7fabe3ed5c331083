import { Controller, Get, Redirect, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@app/common';

/** Where `GET /` sends a browser: the web console (CONTRACT.md "Console"). */
export const ROOT_REDIRECT_TARGET = '/console/';

/**
 * `GET /` → 302 to {@link ROOT_REDIRECT_TARGET}, so that opening the server's address in a browser
 * shows something useful. Public, like the page it points at; not an API operation, so it is left
 * out of the OpenAPI document.
 */
@ApiExcludeController()
@Controller({ version: VERSION_NEUTRAL })
export class RootRedirectController {
  @Get()
  @Public()
  @Redirect(ROOT_REDIRECT_TARGET, 302)
  root(): void {}
}
