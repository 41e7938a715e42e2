use clap::Parser;
use perf_manual::{
    cli::{Cli, Command},
    commands,
    store::redact::redact,
};

fn main() {
    // Like other Unix filters, end quietly when the reader goes away (`perf_manual ... | head`)
    // instead of panicking on a broken pipe.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let json_errors = cli.command.wants_json();
    let result = match cli.command {
        Command::Run(args) => commands::run::run(&args),
        Command::Check { playbook, format } => commands::check::check(&playbook, format),
        Command::Collect(args) => commands::run::collect_only(&args),
        Command::Analyze(args) => commands::analyze::analyze(&args),
        Command::Doctor { format } => commands::doctor::doctor(format),
        Command::UseCheck(args) => commands::use_check::use_check(&args),
        Command::Profile(args) => commands::profile::profile(&args),
        Command::ProfileDiff(args) => commands::profile_diff::profile_diff(&args),
        Command::Trace(args) => commands::trace::trace(&args),
        Command::RedCheck(args) => commands::red_check::red_check(&args),
        Command::Schema => Ok(commands::schema::schema()),
        Command::Regress(args) => commands::regress::regress(&args),
    };
    let code = match result {
        Ok(code) => code,
        Err(failure) => {
            let message = redact(&failure.message);
            eprintln!("perf_manual: {message}");
            if json_errors {
                let json = failure.to_json(&message);
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json).unwrap_or_default()
                );
            }
            failure.code
        }
    };
    std::process::exit(code);
}
