import { Controller, Delete, Get, HttpCode, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiPageResponse, ApiProblemResponses, CurrentActor, Roles } from '@app/common';
import { DatasetUpload } from '../datasets/dataset-upload';
import { DatasetsService } from '../datasets/datasets.service';
import { DatasetDto, DatasetIdParams, ListDatasetsQueryDto, UPLOAD_DATASET_SCHEMA } from '../datasets/dto/dataset.dto';
import { MultipartDatasetInterceptor } from './multipart-dataset.interceptor';
import { UploadedDataset } from './uploaded-dataset.decorator';

@ApiTags('datasets')
@Controller({ path: 'datasets', version: '1' })
export class DatasetsController {
  constructor(private readonly datasets: DatasetsService) {}

  @Post()
  @Roles('ml-engineer')
  @UseInterceptors(MultipartDatasetInterceptor)
  @ApiOperation({
    summary: 'Upload a dataset (CSV with a header, or JSON lines)',
    description:
      'Columns and their types (number, string, boolean) are inferred: a column takes the type of its first value and every later value must fit it. ' +
      'A malformed file (ragged row, non-numeric value in a numeric column, empty file, missing header, bad UTF-8, bad JSON line) is refused with 422 ' +
      'naming the line and column (`line`, `column` members). Larger than MAX_DATASET_BYTES → 413.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: UPLOAD_DATASET_SCHEMA })
  @ApiCreatedResponse({ type: DatasetDto, description: 'The stored dataset, with its inferred columns' })
  @ApiProblemResponses([400, 'VALIDATION_FAILED', 'MALFORMED_MULTIPART'], 'DATASET_TOO_LARGE', 415, 'DATASET_MALFORMED')
  uploadDataset(@UploadedDataset() upload: DatasetUpload, @CurrentActor() actor: Actor) {
    return this.datasets.upload(upload, actor);
  }

  @Get()
  @Roles('ml-engineer')
  @ApiOperation({ summary: 'List datasets, newest first (your own; admins see all)' })
  @ApiPageResponse(DatasetDto, 'A page of datasets')
  @ApiProblemResponses(400)
  listDatasets(@Query() query: ListDatasetsQueryDto, @CurrentActor() actor: Actor) {
    return this.datasets.list(query, actor);
  }

  @Get(':id')
  @Roles('ml-engineer')
  @ApiOperation({ summary: 'Get a dataset (owner or admin)' })
  @ApiOkResponse({ type: DatasetDto, description: 'The dataset' })
  @ApiProblemResponses(400, 'DATASET_NOT_FOUND')
  getDataset(@Param() { id }: DatasetIdParams, @CurrentActor() actor: Actor) {
    return this.datasets.get(id, actor);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('ml-engineer')
  @ApiOperation({
    summary: 'Delete a dataset (owner or admin)',
    description:
      'Its file is removed; training jobs keep its id and sha256 as lineage. Refused (409) while a queued or running job uses it.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblemResponses(400, 'DATASET_NOT_FOUND', 'DATASET_IN_USE')
  deleteDataset(@Param() { id }: DatasetIdParams, @CurrentActor() actor: Actor) {
    return this.datasets.delete(id, actor);
  }
}
