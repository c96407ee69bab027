import Anthropic from "@anthropic-ai/sdk";
import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from "@nestjs/common";
import OpenAI from "openai";
import { DocumentStore, type LlmClients } from "../shared/documents.js";
import { CosttrailUserMiddleware } from "./costtrail-user.middleware.js";
import { DocumentsController } from "./documents.controller.js";
import { DocumentsService } from "./documents.service.js";

@Module({})
export class AppModule implements NestModule {
  /** The provider clients are injected by class, so tests and main.ts choose where they point. */
  static forRoot(clients: LlmClients): DynamicModule {
    return {
      module: AppModule,
      controllers: [DocumentsController],
      providers: [
        DocumentsService,
        DocumentStore,
        { provide: OpenAI, useValue: clients.openai },
        { provide: Anthropic, useValue: clients.anthropic },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CosttrailUserMiddleware).forRoutes(DocumentsController);
  }
}
