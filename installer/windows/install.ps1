<#
.SYNOPSIS
    Install xlmargin's Excel worksheet functions on Windows for the current user (no administrator rights).

.DESCRIPTION
    1. Creates a private virtual environment in %LOCALAPPDATA%\xlmargin\venv with a 64-bit Python 3.11
       to 3.14: the newest of those the Python launcher lists ("py -0"), or the python given with -Python.
    2. Installs xlmargin and the pinned xlwings into it: the copy of the project this script sits in
       (..\..), else this release (xlmargin[excel]==0.1.0) from PyPI, or a local wheel or folder (-Package). On a re-run xlmargin itself is reinstalled even at the same
       version (--force-reinstall --no-deps), so a rebuilt wheel of one version replaces the old one.
    3. Runs "xlmargin install", which
       - adds xlmargin.excel.udfs to the UDF Modules list and sets Interpreter_Win = the environment's
         pythonw.exe in %USERPROFILE%\.xlwings\xlwings.conf, keeping every other setting; where that
         file already names your own Python or UDF modules it stops and changes nothing (they would run
         in xlmargin's Python), unless -Force;
       - runs "xlwings addin install", which copies the xlwings add-in of the same version to Excel's
         XLSTART folder;
       - records what it changed in %USERPROFILE%\.xlmargin\install.json.
    4. Runs "xlmargin status" and prints the next steps.

    -Uninstall runs "xlmargin uninstall" (puts the configuration back, removes the add-in if xlmargin
    installed it) and deletes the environment. -DryRun prints every step and changes nothing.
    Running the script again upgrades or repairs an installation.

.PARAMETER Python
    A 64-bit Python 3.11+ executable to create the environment with. Default: the newest 64-bit Python
    3.11 to 3.14 the Python launcher "py" lists.

.PARAMETER Package
    What pip installs: "xlmargin[excel]==0.1.0" from PyPI (default: this release, pinned), or the path
    of a wheel or source folder.

.PARAMETER Force
    Take over the Python and UDF modules your xlwings.conf names for every workbook ("xlmargin install
    --force"); "-Uninstall" puts them back.

.PARAMETER Prefix
    The install folder. Default: %LOCALAPPDATA%\xlmargin.

.PARAMETER Uninstall
    Remove xlmargin's Excel integration and its environment.

.PARAMETER DryRun
    Print every step (programs, arguments, folders) and change nothing.

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File install.ps1

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File install.ps1 -Package C:\dist\xlmargin-0.1.0-py3-none-any.whl

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File install.ps1 -Uninstall -DryRun
#>
[CmdletBinding()]
param(
    [string] $Python = '',
    [string] $Package = 'xlmargin[excel]==0.1.0',
    [string] $Prefix = (Join-Path $env:LOCALAPPDATA 'xlmargin'),
    [switch] $Force,
    [switch] $Uninstall,
    [switch] $DryRun
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# The Python package and the Excel add-in must be this one xlwings version (xlmargin pins it too).
$XlwingsVersion = '0.37.8'
# pyproject's requires-python, and the newest Python every compiled dependency has Windows wheels for.
$MinimumPython = [version] '3.11'
$NewestPython = [version] '3.14'

# Run from a copy of the project (installer\windows inside it, as it ships): that copy is what is
# installed, not a package fetched by name. Elsewhere the pinned release from PyPI, or -Package.
if (-not $PSBoundParameters.ContainsKey('Package')) {
    $Checkout = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
    if (Test-Path -LiteralPath (Join-Path $Checkout 'pyproject.toml')) {
        $Package = '{0}[excel]' -f $Checkout
    }
}

$Venv = Join-Path $Prefix 'venv'
$VenvPython = Join-Path $Venv 'Scripts\python.exe'
$XlmarginExe = Join-Path $Venv 'Scripts\xlmargin.exe'


function Write-Step([string] $Text) {
    if ($DryRun) { Write-Host "[dry run] would $Text" }
    else { Write-Host "==> $Text" -ForegroundColor Cyan }
}

function Format-Command([string] $Exe, [string[]] $Arguments) {
    $parts = @($Exe) + $Arguments | ForEach-Object { if ($_ -match '\s') { '"' + $_ + '"' } else { $_ } }
    return ($parts -join ' ')
}

function Invoke-Program([string] $What, [string] $Exe, [string[]] $Arguments) {
    # Native programs do not raise PowerShell errors: the exit code is checked here.
    $line = Format-Command $Exe $Arguments
    Write-Step "${What}:  $line"
    if ($DryRun) { return }
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "Could not $What (exit code $LASTEXITCODE). The command was: $line" }
}

function Invoke-Xlmargin([string] $What, [string[]] $Command) {
    # A dry run still asks xlmargin what it would change, when it is already installed.
    if ($DryRun -and (Test-Path -LiteralPath $XlmarginExe)) {
        Write-Step "${What}:  $(Format-Command $XlmarginExe $Command)"
        & $XlmarginExe @Command --dry-run
        return
    }
    Invoke-Program $What $XlmarginExe $Command
}

function Get-BasePython {
    # The command that runs the Python the environment is made from: its items are collected with @().
    if ($Python) {
        if (-not (Get-Command $Python -ErrorAction SilentlyContinue)) { throw "No Python at '$Python'." }
        return @($Python)
    }
    if (-not (Get-Command 'py' -ErrorAction SilentlyContinue)) {
        throw ("The Python launcher ""py"" was not found. Install Python $NewestPython (64-bit) from python.org " +
            'for the current user (keep "py launcher" ticked), or give a Python with -Python C:\path\to\python.exe')
    }
    # "py -0" lists one Python a line: " -V:3.12 *  Python 3.12 (64-bit)" (launcher 3.11+) or " -3.12-64 *".
    $listed = @(& py -0)
    $found = @($listed | ForEach-Object {
            if ($_ -match '^\s*-(?:V:)?3\.(\d+)(-32|-64|-arm64)?\b' -and $_ -notmatch '32-bit|-32\b') {
                [version] "3.$($Matches[1])"
            }
        } | Where-Object { $_ -ge $MinimumPython -and $_ -le $NewestPython } | Sort-Object -Descending -Unique)
    if ($found.Count -eq 0) {
        $shown = if ($listed.Count) { ($listed | ForEach-Object { $_.Trim() }) -join '; ' } else { 'none' }
        throw ("No 64-bit Python $MinimumPython to $NewestPython is installed (py -0 lists: $shown). Install " +
            "Python $NewestPython (64-bit) from python.org, or give one with -Python C:\path\to\python.exe")
    }
    return @('py', "-$($found[0].Major).$($found[0].Minor)")
}

function Assert-PythonVersion([string[]] $Base) {
    $exe = $Base[0]
    $switches = @($Base | Select-Object -Skip 1)
    # No double quotes inside -c: Windows PowerShell 5.1 drops them when it calls a program.
    $code = 'import sys, struct; print(*sys.version_info[:2], sep=chr(46)); print(struct.calcsize(chr(80)) * 8)'
    $answer = @(& $exe @switches -c $code)
    if ($LASTEXITCODE -ne 0 -or $answer.Count -lt 2) {
        throw "$(Format-Command $exe $switches) did not start. With the launcher, 'py -0' lists the installed Pythons."
    }
    $version = $answer[0].Trim()
    $bits = $answer[1].Trim()
    if ([version] "$version" -lt $MinimumPython) {
        throw "xlmargin needs Python $MinimumPython or later; $(Format-Command $exe $switches) is $version."
    }
    if ($bits -ne '64') {
        throw ("$(Format-Command $exe $switches) is a $bits-bit Python: numpy, scipy and the other compiled " +
            "packages xlmargin needs are 64-bit only. Install 64-bit Python $NewestPython from python.org. " +
            '(Excel itself may be 32- or 64-bit: it runs Python as a separate process.)')
    }
    if ([version] "$version" -gt $NewestPython) {
        Write-Warning ("Python $version is newer than $NewestPython, the newest that xlmargin's compiled " +
            'dependencies were checked on: pip may have to build them.')
    }
    Write-Host "Python $version (64-bit): $(Format-Command $exe $switches)"
}

function Assert-NotInUse {
    # Excel's UDF server is a pythonw.exe from the environment; while it runs, its files are locked.
    if (-not (Test-Path -LiteralPath $Venv)) { return }
    $running = @(Get-Process -ErrorAction SilentlyContinue | Where-Object {
            $_.Path -and $_.Path.StartsWith($Venv, [System.StringComparison]::OrdinalIgnoreCase)
        })
    if ($running.Count -gt 0) {
        $names = ($running | ForEach-Object { "$($_.ProcessName) ($($_.Id))" }) -join ', '
        throw "Python from $Venv is running: $names. Quit Excel (it runs the functions), then run this again."
    }
}

function Install-Xlmargin {
    $base = @(Get-BasePython)
    Assert-PythonVersion $base
    Assert-NotInUse

    $existing = Test-Path -LiteralPath $VenvPython
    if ($existing) {
        Write-Host "Using the existing environment $Venv"
    }
    else {
        $switches = @($base | Select-Object -Skip 1)
        Invoke-Program 'create the environment' $base[0] ($switches + @('-m', 'venv', $Venv))
    }
    Invoke-Program 'install xlmargin and the pinned xlwings' $VenvPython @(
        '-m', 'pip', 'install', '--disable-pip-version-check', '--upgrade', "xlwings==$XlwingsVersion", $Package
    )
    if ($existing) {
        # pip keeps an installed xlmargin of the same version ("Requirement already satisfied"): a
        # repair or a rebuilt wheel of one version needs the package itself reinstalled, not its dependencies.
        Invoke-Program 'reinstall xlmargin itself' $VenvPython @(
            '-m', 'pip', 'install', '--disable-pip-version-check', '--force-reinstall', '--no-deps', $Package
        )
    }
    $command = @('install')
    if ($Force) { $command += '--force' }
    Invoke-Xlmargin 'configure Excel and install the xlwings add-in' $command
    if ($DryRun) { return }
    & $XlmarginExe status
    if ($LASTEXITCODE -ne 0) { throw 'xlmargin status reports a problem (marked PROBLEM above).' }

    $sample = & $VenvPython -c 'from xlmargin.cli import sample_positions; print(sample_positions())'
    Write-Host ''
    Write-Host 'Next steps (installer\windows\IMPORT_FUNCTIONS.md has the details):' -ForegroundColor Green
    Write-Host '  1. Start Excel; the xlwings tab appears. Save your workbook as .xlsm.'
    Write-Host '  2. Trust Center > Macro Settings: tick "Trust access to the VBA project object model".'
    Write-Host '  3. VBA editor (Alt+F11) > Tools > References: tick "xlwings".'
    Write-Host '  4. xlwings tab > Import Functions, then type =XLM_VERSION() in a cell.'
    Write-Host "  Sample positions to try: $sample"
    Write-Host "  Check the setup at any time: $XlmarginExe status"
}

function Uninstall-Xlmargin {
    Assert-NotInUse
    if (Test-Path -LiteralPath $XlmarginExe) {
        Invoke-Xlmargin 'put the Excel configuration back and remove the add-in' @('uninstall')
    }
    else {
        Write-Warning "$XlmarginExe not found: the xlwings configuration is left as it is."
    }
    if (Test-Path -LiteralPath $Venv) {
        Write-Step "delete the environment $Venv"
        if (-not $DryRun) { Remove-Item -LiteralPath $Venv -Recurse -Force }
    }
    if (Test-Path -LiteralPath $Prefix) {
        $others = @(Get-ChildItem -LiteralPath $Prefix -Force | Where-Object { $_.FullName -ne $Venv })
        if ($others.Count -eq 0) {
            Write-Step "delete the folder $Prefix (nothing else is in it)"
            if (-not $DryRun) { Remove-Item -LiteralPath $Prefix -Recurse -Force }
        }
    }
    Write-Host ('Workbooks keep their formulas and wrappers; they cannot calculate (Excel may report a ' +
        'missing xlwings reference) until xlmargin is installed again.')
    Write-Host "The log, if any, stays in $(Join-Path $env:USERPROFILE '.xlmargin')."
}


try {
    if ($Uninstall) { Uninstall-Xlmargin } else { Install-Xlmargin }
    if ($DryRun) { Write-Host '[dry run] nothing was changed.' }
}
catch {
    Write-Host "xlmargin installer: $($_.Exception.Message)" -ForegroundColor Red
    exit 1
}
