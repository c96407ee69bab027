import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  NotFoundException,
  Param,
  Post,
} from "@nestjs/common";
import { track, trackContext } from "../../src/index.js";
import { type StoredDocument, textField } from "../shared/documents.js";
import { DocumentsService } from "./documents.service.js";

@Controller("documents")
export class DocumentsController {
  constructor(private readonly documents: DocumentsService) {}

  /** A new `create_document` instance per request. `@track` may go above or below `@Post()`. */
  @track({ useCaseName: "create_document" })
  @Post()
  async create(@Body() body: unknown): Promise<StoredDocument> {
    const prompt = textField(body, "prompt");
    if (!prompt) throw new BadRequestException("prompt must be a non-empty string");
    return this.documents.create(prompt);
  }

  /** The document id is the instance: every append to one document adds up under it. */
  @Post(":id/append")
  @HttpCode(200)
  async append(@Param("id") id: string, @Body() body: unknown): Promise<StoredDocument> {
    const text = textField(body, "text");
    if (!text) throw new BadRequestException("text must be a non-empty string");
    if (!this.documents.exists(id)) throw new NotFoundException("no such document");
    const document = await trackContext({ useCaseName: "append_document", useCaseId: id }, () =>
      this.documents.append(id, text),
    );
    if (!document) throw new NotFoundException("no such document");
    return document;
  }
}
