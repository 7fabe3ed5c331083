import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiPageResponse, ApiProblemResponses, CurrentActor, Roles } from '@app/common';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQueryDto } from './dto/list-users.query.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { UserDto } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller({ path: 'users', version: '1' })
@Roles('admin')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiOperation({ summary: 'Create a user' })
  @ApiCreatedResponse({ type: UserDto, description: 'The new user' })
  @ApiProblemResponses(400, 'USER_EMAIL_TAKEN')
  createUser(@Body() body: CreateUserDto, @CurrentActor() actor: Actor) {
    return this.users.create(body, actor);
  }

  @Get()
  @ApiOperation({ summary: 'List users' })
  @ApiPageResponse(UserDto, 'A page of users')
  @ApiProblemResponses(400)
  listUsers(@Query() query: ListUsersQueryDto) {
    return this.users.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a user' })
  @ApiOkResponse({ type: UserDto, description: 'The user' })
  @ApiProblemResponses('USER_NOT_FOUND')
  getUser(@Param('id') id: string) {
    return this.users.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a user\u2019s email, password, roles or disabled flag (nothing else)' })
  @ApiOkResponse({ type: UserDto, description: 'The updated user' })
  @ApiProblemResponses(400, 'USER_NOT_FOUND', [409, 'USER_EMAIL_TAKEN', 'LAST_ADMIN'])
  updateUser(@Param('id') id: string, @Body() body: UpdateUserDto, @CurrentActor() actor: Actor) {
    return this.users.update(id, body, actor);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user; their tokens stop working at once' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblemResponses('USER_NOT_FOUND', 'LAST_ADMIN')
  deleteUser(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.users.remove(id, actor);
  }
}
