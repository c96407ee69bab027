import { Injectable, type NestMiddleware } from "@nestjs/common";
import type { NextFunction, Request, Response } from "express";
import { trackContext } from "../../src/index.js";
import { userIdFrom } from "../shared/documents.js";

/**
 * Opens the request's costtrail scope with the caller's user id. Nest runs the guards, interceptors, pipes
 * and the route handler from inside `next()`, so all of them see the scope.
 */
@Injectable()
export class CosttrailUserMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    trackContext({ userId: userIdFrom(req.headers["x-user-id"]) }, () => next());
  }
}
