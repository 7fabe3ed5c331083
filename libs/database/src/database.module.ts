import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { databaseConfig, type DatabaseConfig } from './database.config';
import { databaseOptions } from './database-options';
import { runMigrations } from './migrate';

export interface DatabaseModuleOptions {
  /** The API migrates at start-up; the worker (and extra replicas, if configured so) need not. */
  migrate: boolean;
}

/** The DataSource for the whole app. Schema changes only through migrations, never synchronize. */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions = { migrate: true }): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [databaseConfig.token],
          useFactory: (config: DatabaseConfig) => ({
            ...databaseOptions(config),
            autoLoadEntities: true,
            // Fail fast at boot rather than retrying for minutes; the orchestrator restarts us.
            retryAttempts: 3,
            retryDelay: 1_000,
          }),
          dataSourceFactory: async (opts?: DataSourceOptions) => {
            const dataSource = await new DataSource(opts!).initialize();
            if (options.migrate) await runMigrations(dataSource);
            return dataSource;
          },
        }),
      ],
    };
  }
}
