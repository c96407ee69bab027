export { type ApiContext, ApiError, handleApi } from "./api.js";
export { createTokenGuard, TOKEN_HEADER, tokenMatches } from "./auth.js";
export {
  type DashboardOptions,
  DEFAULT_DASHBOARD_HOST,
  DEFAULT_DASHBOARD_PORT,
  type RunningDashboard,
  startDashboard,
} from "./dashboard-server.js";
