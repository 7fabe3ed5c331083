import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiProblemResponses, CurrentActor, Roles } from '@app/common';
import { ModelVersionParams } from '@app/models';
import { DriftQueryDto } from '../dto/drift-query.dto';
import { DriftReportDto } from '../dto/drift-report.dto';
import { ProfileDto } from '../dto/profile.dto';
import { PutProfileDto } from '../dto/put-profile.dto';
import { DriftService } from '../services/drift.service';
import { ProfilesService } from '../services/profiles.service';

@ApiTags('monitoring')
@Controller({ path: 'models/:name/versions/:version', version: '1' })
export class DriftController {
  constructor(
    private readonly drift: DriftService,
    private readonly profiles: ProfilesService,
  ) {}

  @Get('drift')
  @Roles('ml-engineer')
  @ApiOperation({
    summary: 'How the data served to a version compares with its profile: PSI per feature and for the predictions',
    description:
      'Counts from every replica over the last `window` minutes, in the profile’s 10 quantile bins; status `ok` below PSI 0.1, `warn` from 0.1, ' +
      '`alert` from 0.25. Also exposed as `modelgate_feature_drift_psi` / `modelgate_prediction_drift_psi` (last hour).',
  })
  @ApiOkResponse({ type: DriftReportDto, description: 'The drift report' })
  @ApiProblemResponses(400, [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND', 'PROFILE_NOT_FOUND'])
  getVersionDrift(@Param() { name, version }: ModelVersionParams, @Query() { window }: DriftQueryDto) {
    return this.drift.report(name, version, window ?? 60);
  }

  @Get('profile')
  @Roles('ml-engineer')
  @ApiOperation({ summary: "A version's reference profile (kept from training, built from a dataset, or given)" })
  @ApiOkResponse({ type: ProfileDto, description: 'The profile' })
  @ApiProblemResponses(400, [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND', 'PROFILE_NOT_FOUND'])
  getVersionProfile(@Param() { name, version }: ModelVersionParams) {
    return this.profiles.get(name, version);
  }

  @Put('profile')
  @Roles('ml-engineer')
  @ApiOperation({
    summary: "Set a version's reference profile: from a dataset, or as statistics",
    description:
      '`{datasetId, columns?}` bins each column at its training quantiles (an even sample of at most PROFILE_MAX_ROWS rows) and runs the version on ' +
      'the same rows for its prediction distribution; `{features: [{name, binEdges, binShares, mean, std}], predictions?}` takes them as given. ' +
      'Replaces any profile (drift counts restart with the new revision).',
  })
  @ApiOkResponse({ type: ProfileDto, description: 'The stored profile' })
  @ApiProblemResponses(
    400,
    [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND', 'DATASET_NOT_FOUND'],
    [422, 'VALIDATION_FAILED', 'PROFILE_NOT_APPLICABLE'],
  )
  putVersionProfile(@Param() { name, version }: ModelVersionParams, @Body() dto: PutProfileDto, @CurrentActor() actor: Actor) {
    return this.profiles.put(name, version, dto, actor);
  }
}
