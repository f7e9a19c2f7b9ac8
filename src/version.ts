declare const __SCALER_VERSION__: string | undefined;
/** Set by esbuild from package.json; `dev` when run from source. */
export const VERSION: string = typeof __SCALER_VERSION__ === 'string' ? __SCALER_VERSION__ : 'dev';
