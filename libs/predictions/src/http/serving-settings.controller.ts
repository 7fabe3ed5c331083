import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiProblemResponses, CurrentActor, Roles } from '@app/common';
import { ModelNameParams } from '@app/models';
import { ServingSettingsDto, UpdateServingSettingsDto } from '../dto/serving-settings.dto';
import { ServingSettingsService } from '../serving/serving-settings.service';

@ApiTags('predictions')
@Controller({ path: 'models/:name/serving', version: '1' })
export class ServingSettingsController {
  constructor(private readonly settings: ServingSettingsService) {}

  @Get()
  @Roles('consumer')
  @ApiOperation({ summary: "A model's serving options (response cache, payload logging and retention)" })
  @ApiOkResponse({ type: ServingSettingsDto, description: "The model's serving options" })
  @ApiProblemResponses(400, 'MODEL_NOT_FOUND')
  getServingSettings(@Param() { name }: ModelNameParams) {
    return this.settings.get(name);
  }

  @Put()
  @Roles('ml-engineer')
  @ApiOperation({ summary: "Change a model's serving options" })
  @ApiOkResponse({ type: ServingSettingsDto, description: 'The new serving options' })
  @ApiProblemResponses(400, 'MODEL_NOT_FOUND')
  updateServingSettings(@Param() { name }: ModelNameParams, @Body() body: UpdateServingSettingsDto, @CurrentActor() actor: Actor) {
    return this.settings.update(name, body, actor);
  }
}
