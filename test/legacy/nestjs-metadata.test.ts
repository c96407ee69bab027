// Compiled with experimentalDecorators + emitDecoratorMetadata (the "legacy" vitest project), as NestJS is.
import "reflect-metadata";
import { Controller, Get, Injectable, Param } from "@nestjs/common";
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from "@nestjs/common/constants.js";
import { describe, expect, it } from "vitest";
import { currentAnnotations, track } from "../../src/index.js";

class Repo {
  find(id: string) {
    return `doc:${id}`;
  }
}

@Injectable()
class DocumentService {
  constructor(readonly repo: Repo) {}

  @track({ useCaseName: "summarize" })
  summarize(id: string, depth: number): string {
    return `${this.repo.find(id)}:${depth}:${currentAnnotations().useCaseName}`;
  }

  @track({ useCaseStep: "async" })
  async later(id: string): Promise<string> {
    await new Promise((r) => setTimeout(r, 1));
    return `${id}:${currentAnnotations().useCaseStep}`;
  }
}

@Controller("documents")
class DocumentController {
  constructor(readonly service: DocumentService) {}

  // @track above the route decorator: Nest's metadata lands on the original and must be copied.
  @track({ useCaseName: "read_document" })
  @Get(":id")
  read(@Param("id") id: string): string {
    return `${id}:${currentAnnotations().useCaseName}`;
  }

  // @track below: Nest's metadata lands on our wrapper.
  @Get(":id/raw")
  @track({ userId: "raw-user" })
  raw(@Param("id") id: string): string {
    return `${id}:${currentAnnotations().userId}`;
  }
}

describe("@track under legacy experimentalDecorators (NestJS)", () => {
  it("wraps methods and keeps this, args and results", async () => {
    const service = new DocumentService(new Repo());
    expect(service.summarize("7", 2)).toBe("doc:7:2:summarize");
    await expect(service.later("9")).resolves.toBe("9:async");
  });

  it("keeps design:paramtypes and design:returntype metadata for the wrapped methods", () => {
    expect(Reflect.getMetadata("design:paramtypes", DocumentService.prototype, "summarize")).toEqual([
      String,
      Number,
    ]);
    expect(Reflect.getMetadata("design:returntype", DocumentService.prototype, "summarize")).toBe(String);
    expect(Reflect.getMetadata("design:paramtypes", DocumentService)).toEqual([Repo]);
    expect(Reflect.getMetadata("design:paramtypes", DocumentController)).toEqual([DocumentService]);
  });

  it("keeps Nest route metadata whichever order the decorators are in", () => {
    const read = DocumentController.prototype.read;
    const raw = DocumentController.prototype.raw;
    expect(Reflect.getMetadata(PATH_METADATA, read)).toBe(":id");
    expect(Reflect.getMetadata(METHOD_METADATA, read)).toBe(0); // RequestMethod.GET
    expect(Reflect.getMetadata(PATH_METADATA, raw)).toBe(":id/raw");
    expect(Reflect.getMetadata(ROUTE_ARGS_METADATA, DocumentController, "read")).toBeTruthy();
    const controller = new DocumentController(new DocumentService(new Repo()));
    expect(controller.read("1")).toBe("1:read_document");
    expect(controller.raw("2")).toBe("2:raw-user");
  });
});
