// The rough clock (10 ms resolution) for hot paths; it lives with the rest of the clock in clock.ts, so that
// a virtual clock moves it too.
export { roughNow } from './clock.js';
