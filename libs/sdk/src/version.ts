/** This package's version (libs/sdk/package.json, which follows the API's; a unit test keeps them equal). */
export const SDK_VERSION = '0.1.0';
