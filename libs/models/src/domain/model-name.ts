/** CONTRACT.md: model names. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,62}$/;
/** Aliases share the alphabet; one character is enough (`a`, `b` for experiments). */
export const ALIAS_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** Version numbers are Postgres integers. */
export const MAX_VERSION_NUMBER = 2_147_483_647;
/** Follows the production stage; never stored as an alias. */
export const PRODUCTION_ALIAS = 'production';
