// The NestJS example under load. In the "legacy" vitest project, so the example's files compile as Nest apps
// do: experimentalDecorators + emitDecoratorMetadata.
import "reflect-metadata";
import type { AddressInfo } from "node:net";
import Anthropic from "@anthropic-ai/sdk";
import { METHOD_METADATA, PATH_METADATA } from "@nestjs/common/constants.js";
import { NestFactory } from "@nestjs/core";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppModule } from "../../examples/nestjs/app.module.js";
import { DocumentsController } from "../../examples/nestjs/documents.controller.js";
import { DocumentsService } from "../../examples/nestjs/documents.service.js";
import { DocumentStore } from "../../examples/shared/documents.js";
import {
  driveDocumentLoad,
  type ExampleEnv,
  misattributions,
  startExampleEnv,
  TOTAL_REQUESTS,
} from "../examples/support.js";

let env: ExampleEnv;
beforeAll(async () => {
  env = await startExampleEnv();
});
afterAll(() => env.close());

describe("examples/nestjs: the document generator as a NestJS app", () => {
  it("keeps Nest's DI and route metadata on @track-decorated controllers and providers", () => {
    expect(Reflect.getMetadata("design:paramtypes", DocumentsService)).toEqual([
      OpenAI,
      Anthropic,
      DocumentStore,
    ]);
    expect(Reflect.getMetadata("design:paramtypes", DocumentsController)).toEqual([DocumentsService]);
    expect(Reflect.getMetadata("design:paramtypes", DocumentsService.prototype, "create")).toEqual([String]);
    const create = DocumentsController.prototype.create;
    expect(Reflect.getMetadata(PATH_METADATA, create)).toBe("/");
    expect(Reflect.getMetadata(METHOD_METADATA, create)).toBe(1); // RequestMethod.POST
  });

  it("attributes every event to its request's user and use case under 200 concurrent requests", async () => {
    const app = await NestFactory.create(AppModule.forRoot(env.clients), {
      logger: false,
      abortOnError: false,
    });
    await app.listen(0, "127.0.0.1");
    try {
      // DI by type: the service got the clients the module provides, not fresh ones.
      const service = app.get(DocumentsService) as unknown as { openai: OpenAI; anthropic: Anthropic };
      expect(service.openai).toBe(env.clients.openai);
      expect(service.anthropic).toBe(env.clients.anthropic);

      const { port } = app.getHttpServer().address() as AddressInfo;
      const sent = await driveDocumentLoad(`http://127.0.0.1:${port}`);
      const events = await env.settle(TOTAL_REQUESTS);
      expect(misattributions(events, sent)).toEqual([]);
      expect(events).toHaveLength(TOTAL_REQUESTS);
      // The service's @track only names the step, inside the controller's / the route's use case.
      const steps = new Set(events.map((e) => `${e.annotations.useCaseName}/${e.annotations.useCaseStep}`));
      expect([...steps].sort()).toEqual(["append_document/rewrite", "create_document/write"]);
    } finally {
      await app.close();
    }
  });
});
