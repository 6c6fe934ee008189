<#
.SYNOPSIS
    Install xlmargin's Excel worksheet functions on Windows for the current user (no administrator rights).

.DESCRIPTION
    1. Creates a private virtual environment in %LOCALAPPDATA%\xlmargin\venv with Python 3.11 or later
       ("py -3.11" by default, or the python given with -Python).
    2. Installs xlmargin and the pinned xlwings into it, from PyPI or from a local wheel or folder (-Package).
    3. Runs "xlmargin install", which
       - adds xlmargin.excel.udfs to the UDF Modules list (the user's own modules stay) and sets
         Interpreter_Win = the environment's pythonw.exe in %USERPROFILE%\.xlwings\xlwings.conf,
         keeping every other setting;
       - runs "xlwings addin install", which copies the xlwings add-in of the same version to Excel's
         XLSTART folder;
       - records what it changed in %USERPROFILE%\.xlmargin\install.json.
    4. Runs "xlmargin status" and prints the next steps.

    -Uninstall runs "xlmargin uninstall" (puts the configuration back, removes the add-in if xlmargin
    installed it) and deletes the environment. -DryRun prints every step and changes nothing.
    Running the script again upgrades or repairs an installation.

.PARAMETER Python
    A Python 3.11+ executable to create the environment with. Default: the Python launcher, "py -3.11".

.PARAMETER Package
    What pip installs: "xlmargin[excel]" from PyPI (default), or the path of a wheel or source folder.

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
    [string] $Package = 'xlmargin[excel]',
    [string] $Prefix = (Join-Path $env:LOCALAPPDATA 'xlmargin'),
    [switch] $Uninstall,
    [switch] $DryRun
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# The Python package and the Excel add-in must be this one xlwings version (xlmargin pins it too).
$XlwingsVersion = '0.37.8'
$MinimumPython = [version] '3.11'

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

function Invoke-Xlmargin([string] $What, [string] $Command) {
    # A dry run still asks xlmargin what it would change, when it is already installed.
    if ($DryRun -and (Test-Path -LiteralPath $XlmarginExe)) {
        Write-Step "${What}:  $(Format-Command $XlmarginExe @($Command))"
        & $XlmarginExe $Command --dry-run
        return
    }
    Invoke-Program $What $XlmarginExe @($Command)
}

function Get-BasePython {
    # The command that runs the Python the environment is made from: its items are collected with @().
    if ($Python) {
        if (-not (Get-Command $Python -ErrorAction SilentlyContinue)) { throw "No Python at '$Python'." }
        return @($Python)
    }
    if (Get-Command 'py' -ErrorAction SilentlyContinue) { return @('py', '-3.11') }
    throw ('The Python launcher "py" was not found. Install Python 3.11 from python.org for the current ' +
        'user (keep "py launcher" ticked), or give a Python with -Python C:\path\to\python.exe')
}

function Assert-PythonVersion([string[]] $Base) {
    $exe = $Base[0]
    $switches = @($Base | Select-Object -Skip 1)
    # No double quotes inside -c: Windows PowerShell 5.1 drops them when it calls a program.
    $version = & $exe @switches -c 'import sys; print(*sys.version_info[:2], sep=chr(46))'
    if ($LASTEXITCODE -ne 0 -or -not $version) {
        throw "$(Format-Command $exe $switches) did not start. With the launcher, 'py -0' lists the installed Pythons."
    }
    if ([version] "$version" -lt $MinimumPython) {
        throw "xlmargin needs Python $MinimumPython or later; $(Format-Command $exe $switches) is $version."
    }
    Write-Host "Python ${version}: $(Format-Command $exe $switches)"
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

    if (Test-Path -LiteralPath $VenvPython) {
        Write-Host "Using the existing environment $Venv"
    }
    else {
        $switches = @($base | Select-Object -Skip 1)
        Invoke-Program 'create the environment' $base[0] ($switches + @('-m', 'venv', $Venv))
    }
    Invoke-Program 'install xlmargin and the pinned xlwings' $VenvPython @(
        '-m', 'pip', 'install', '--disable-pip-version-check', '--upgrade', "xlwings==$XlwingsVersion", $Package
    )
    Invoke-Xlmargin 'configure Excel and install the xlwings add-in' 'install'
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
        Invoke-Xlmargin 'put the Excel configuration back and remove the add-in' 'uninstall'
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
