import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiOAuth2, ApiSecurity } from '@nestjs/swagger';
import { ApiProblemResponses } from '../openapi/api-problem-responses.decorator';
import { Role } from './caller';

export const IS_PUBLIC_KEY = 'modelgate:public';
export const REQUIRED_ROLE_KEY = 'modelgate:required-role';

export const SECURITY_SCHEMES = { bearer: 'bearer', apiKey: 'apiKey', oauth2: 'oauth2' } as const;

/** Opens a route to anonymous callers. Everything else requires authentication (deny by default). */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);

/**
 * The least role a route needs (roles are ranked admin > ml-engineer > consumer). Also documents
 * the route's security schemes and its 401/403 problems in OpenAPI, so docs and enforcement agree.
 */
export const Roles = (role: Role) =>
  applyDecorators(
    SetMetadata(REQUIRED_ROLE_KEY, role),
    ApiBearerAuth(SECURITY_SCHEMES.bearer),
    ApiSecurity(SECURITY_SCHEMES.apiKey),
    ApiOAuth2([], SECURITY_SCHEMES.oauth2),
    ApiProblemResponses(401, 403),
  );
