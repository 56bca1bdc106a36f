// The launcher is shared with `npm run bench`; Node-side tests keep importing it from here.
export { DEV_ADMIN_TOKEN, freePort, startRelay, type LocalRelay } from "../../../scripts/local-relay";
