using Aggregation.Cli;

return await CliApp.Build().Parse(args).InvokeAsync();
